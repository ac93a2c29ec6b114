// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exporter-toolkit web configuration: see webconfig.h. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "webconfig.h"

/* Certificates and keys are a few KB; anything this big is a mistake. */
#define MAX_PEM		(1024 * 1024)

struct loader {
	const char *path;	/* the config file, for messages */
	char dir[4096];		/* its directory: relative paths start here */
	yaml_document_t doc;
	struct ks_web_config *wc;
	char *err;
	size_t err_len;
};

static int fail(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(l->err, l->err_len, "%s", l->path);
	if (n && len >= 0 && (size_t)len < l->err_len)
		len += snprintf(l->err + len, l->err_len - len, ":%zu",
				n->start_mark.line + 1);
	if (len >= 0 && (size_t)len + 2 < l->err_len) {
		strcpy(l->err + len, ": ");
		va_start(ap, fmt);
		vsnprintf(l->err + len + 2, l->err_len - len - 2, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
					   : NULL;
}

/* A whole file into a NUL-terminated string (PEM is text). */
static int read_pem(struct loader *l, const yaml_node_t *n, const char *key,
		    char **out)
{
	const char *name = scalar(n);
	char path[8192];
	struct stat st;
	ssize_t got;
	char *buf;
	int fd;

	if (!name || !name[0])
		return fail(l, n, "%s: expected a file name", key);
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return fail(l, n, "%s %s: %s", key, path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_PEM) {
		close(fd);
		return fail(l, n, "%s %s: not a regular file of at most %d bytes",
			    key, path, MAX_PEM);
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		close(fd);
		return fail(l, n, "out of memory");
	}
	got = read(fd, buf, st.st_size);
	close(fd);
	if (got != st.st_size) {
		free(buf);
		return fail(l, n, "%s %s: short read", key, path);
	}
	buf[got] = '\0';
	if (!strstr(buf, "-----BEGIN ")) {
		free(buf);
		return fail(l, n, "%s %s: not PEM", key, path);
	}
	free(*out);
	*out = buf;
	return 0;
}

/*
 * The key must be the certificate's and the CA file hold certificates:
 * said here, with GnuTLS's reason, rather than as a server that fails to
 * start or a handshake that fails on every scrape.
 */
static int check_pem(struct loader *l, yaml_node_t *map)
{
	struct ks_web_config *wc = l->wc;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)wc->cert_pem,
				strlen(wc->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)wc->key_pem,
			       strlen(wc->key_pem) };
	int r;

	if (gnutls_certificate_allocate_credentials(&cred))
		return fail(l, map, "out of memory");
	r = gnutls_certificate_set_x509_key_mem(cred, &cert, &key,
						GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		gnutls_certificate_free_credentials(cred);
		return fail(l, map, "tls_server_config: cert_file and key_file: %s",
			    gnutls_strerror(r));
	}
	if (wc->client_ca_pem) {
		gnutls_datum_t ca = { (unsigned char *)wc->client_ca_pem,
				      strlen(wc->client_ca_pem) };

		r = gnutls_certificate_set_x509_trust_mem(cred, &ca,
							  GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			gnutls_certificate_free_credentials(cred);
			return fail(l, map, "tls_server_config: client_ca_file: %s",
				    r < 0 ? gnutls_strerror(r) : "no certificate");
		}
	}
	gnutls_certificate_free_credentials(cred);
	return 0;
}

static int tls_config(struct loader *l, yaml_node_t *map)
{
	struct ks_web_config *wc = l->wc;
	const char *auth = "NoClientCert";
	yaml_node_t *auth_node = map;
	yaml_node_pair_t *p;
	int r;

	if (map->type != YAML_MAPPING_NODE)
		return fail(l, map, "tls_server_config: expected a mapping");
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(k);

		if (!key)
			return fail(l, k, "tls_server_config: expected a key");
		if (!strcmp(key, "cert_file"))
			r = read_pem(l, v, key, &wc->cert_pem);
		else if (!strcmp(key, "key_file"))
			r = read_pem(l, v, key, &wc->key_pem);
		else if (!strcmp(key, "client_ca_file"))
			r = read_pem(l, v, key, &wc->client_ca_pem);
		else if (!strcmp(key, "client_auth_type")) {
			auth = scalar(v);
			auth_node = v;
			r = auth ? 0 : fail(l, v, "client_auth_type: expected a string");
		} else
			r = fail(l, k, "tls_server_config: '%s' is not supported (cert_file, key_file, client_auth_type, client_ca_file are)",
				 key);
		if (r)
			return r;
	}
	if (!wc->cert_pem != !wc->key_pem)
		return fail(l, map, "tls_server_config: cert_file and key_file go together");
	if (!wc->cert_pem)
		return fail(l, map, "tls_server_config: no cert_file and key_file");
	r = check_pem(l, map);
	if (r)
		return r;
	/*
	 * Of the toolkit's client_auth_type values, the two that say what a
	 * client must present: none, or one that client_ca_file signed.
	 */
	if (!strcmp(auth, "NoClientCert")) {
		if (wc->client_ca_pem)
			return fail(l, auth_node, "client_ca_file needs client_auth_type: RequireAndVerifyClientCert");
	} else if (!strcmp(auth, "RequireAndVerifyClientCert")) {
		if (!wc->client_ca_pem)
			return fail(l, auth_node, "client_auth_type %s needs client_ca_file", auth);
	} else {
		return fail(l, auth_node, "client_auth_type '%s' is not supported (NoClientCert, RequireAndVerifyClientCert are)",
			    auth);
	}
	return 0;
}

static bool bcrypt_hash(const char *h)
{
	return !strncmp(h, "$2a$", 4) || !strncmp(h, "$2b$", 4) ||
	       !strncmp(h, "$2y$", 4);
}

/* libcrypt's answer for @pw against @hash, or NULL (bad hash). */
static const char *crypt_check(struct crypt_data *cd, const char *pw,
			       const char *hash)
{
	const char *r;

	memset(cd, 0, sizeof(*cd));
	r = crypt_r(pw, hash, cd);
	/* Failure is NULL or a string starting with '*'. */
	return r && r[0] != '*' ? r : NULL;
}

static int users(struct loader *l, yaml_node_t *map)
{
	struct ks_web_config *wc = l->wc;
	struct crypt_data *cd;
	yaml_node_pair_t *p;
	size_t n;
	int r = 0;

	if (map->type != YAML_MAPPING_NODE)
		return fail(l, map, "basic_auth_users: expected a mapping of user: bcrypt hash");
	n = map->data.mapping.pairs.top - map->data.mapping.pairs.start;
	wc->users = calloc(n ? n : 1, sizeof(*wc->users));
	cd = malloc(sizeof(*cd));
	if (!wc->users || !cd) {
		free(cd);
		return fail(l, map, "out of memory");
	}
	for (p = map->data.mapping.pairs.start;
	     !r && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *name = scalar(k), *hash = scalar(v);
		struct ks_web_user *u = &wc->users[wc->nr_users];

		if (!name || !name[0] || strchr(name, ':'))
			r = fail(l, k, "basic_auth_users: expected a user name without ':'");
		else if (!hash || !bcrypt_hash(hash) ||
			 !crypt_check(cd, "", hash))
			r = fail(l, v, "basic_auth_users: %s: expected a bcrypt hash ($2y$..., as htpasswd -nB makes)",
				 name);
		else {
			for (size_t i = 0; i < wc->nr_users; i++)
				if (!strcmp(wc->users[i].name, name))
					r = fail(l, k, "basic_auth_users: %s twice", name);
			u->name = strdup(name);
			u->hash = strdup(hash);
			wc->nr_users++;
			if (!u->name || !u->hash)
				r = fail(l, k, "out of memory");
		}
	}
	free(cd);
	return r;
}

static int root(struct loader *l)
{
	yaml_node_t *top = yaml_document_get_root_node(&l->doc);
	yaml_node_pair_t *p;
	int r;

	/* An empty file is the toolkit's "no TLS, no auth". */
	if (!top)
		return 0;
	if (top->type != YAML_MAPPING_NODE)
		return fail(l, top, "expected a mapping (tls_server_config, basic_auth_users)");
	for (p = top->data.mapping.pairs.start;
	     p < top->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
		const char *key = scalar(k);

		if (key && !strcmp(key, "tls_server_config"))
			r = tls_config(l, v);
		else if (key && !strcmp(key, "basic_auth_users"))
			r = users(l, v);
		else
			r = fail(l, k, "'%s' is not supported (tls_server_config, basic_auth_users are)",
				 key ? key : "?");
		if (r)
			return r;
	}
	return 0;
}

int ks_web_config_load(const char *path, struct ks_web_config *wc,
		       char *err, size_t err_len)
{
	struct loader l = { .path = path, .wc = wc, .err = err,
			    .err_len = err_len };
	yaml_parser_t parser;
	const char *slash;
	FILE *f;
	int r;

	memset(wc, 0, sizeof(*wc));
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(l.dir, sizeof(l.dir), ".");
	else
		snprintf(l.dir, sizeof(l.dir), "%.*s",
			 (int)(slash == path ? 1 : slash - path), path);
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, err_len, "%s: %s", path, strerror(-r));
		return r;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, err_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &l.doc)) {
		snprintf(err, err_len, "%s:%zu: %s", path,
			 parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	r = root(&l);
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (r)
		ks_web_config_free(wc);
	return r;
}

void ks_web_config_free(struct ks_web_config *wc)
{
	free(wc->cert_pem);
	free(wc->key_pem);
	free(wc->client_ca_pem);
	for (size_t i = 0; i < wc->nr_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	memset(wc, 0, sizeof(*wc));
}

/* Equal strings, in a time that depends on their lengths only. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= a[i] ^ b[i];
	return !d;
}

/* SHA-256 of @hash and @password: what a cached acceptance is kept as. */
static int digest(const char *hash, const char *password,
		  unsigned char out[32])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256))
		return -1;
	if (gnutls_hash(h, hash, strlen(hash) + 1) ||
	    gnutls_hash(h, password, strlen(password))) {
		gnutls_hash_deinit(h, NULL);
		return -1;
	}
	gnutls_hash_deinit(h, out);
	return 0;
}

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;

bool ks_web_config_auth(struct ks_web_config *wc, const char *user,
			const char *password)
{
	/*
	 * A valid bcrypt hash at the usual cost, for unknown users: their
	 * refusal takes as long as a wrong password's.
	 */
	static const char decoy[] =
		"$2y$10$BKK/C/49a71BErztN7.YZ.0F2vOvGgFwLE2di5V.Icsn/w8wimFum";
	struct ks_web_user *u = NULL;
	unsigned char d[32];
	struct crypt_data *cd;
	bool ok, have_d;
	const char *r;

	for (size_t i = 0; i < wc->nr_users; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	have_d = u && !digest(u->hash, password, d);
	pthread_mutex_lock(&auth_lock);
	ok = have_d && u->has_accepted &&
	     !gnutls_memcmp(d, u->accepted, sizeof(d));
	pthread_mutex_unlock(&auth_lock);
	if (ok)
		return true;
	cd = malloc(sizeof(*cd));
	if (!cd)
		return false;
	r = crypt_check(cd, password, u ? u->hash : decoy);
	ok = u && r && same(r, u->hash);
	free(cd);
	pthread_mutex_lock(&auth_lock);
	wc->crypts++;
	if (ok && have_d) {
		memcpy(u->accepted, d, sizeof(d));
		u->has_accepted = true;
	}
	pthread_mutex_unlock(&auth_lock);
	return ok;
}
