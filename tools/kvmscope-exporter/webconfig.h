/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --web.config.file: TLS and basic auth in the format of the Prometheus
 * exporter-toolkit (docs/web-configuration.md), so that one file serves
 * node_exporter and kvmscope alike:
 *
 *   tls_server_config:
 *     cert_file: server.crt        # PEM; relative to the config's directory
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert   # or NoClientCert
 *     client_ca_file: clients.crt
 *   basic_auth_users:
 *     prometheus: $2y$10$...       # bcrypt, as htpasswd -nBC 10 makes
 *
 * Read whole at startup, while still privileged: the files may be
 * readable by root only.  Keys the toolkit knows but we do not implement
 * (min_version, cipher_suites, http_server_config, ...) are refused, like
 * unknown ones: a file must not seem to ask for more than it gets.
 */
#ifndef KVMSCOPE_EXPORTER_WEBCONFIG_H
#define KVMSCOPE_EXPORTER_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct ks_web_user {
	char *name;
	char *hash;		/* bcrypt: $2a$, $2b$ or $2y$ */
	/* SHA-256 of hash and the password last accepted, if any */
	unsigned char accepted[32];
	bool has_accepted;
};

struct ks_web_config {
	char *cert_pem;		/* NULL: plain HTTP */
	char *key_pem;
	char *client_ca_pem;	/* set: clients need a certificate it signed */
	struct ks_web_user *users;	/* none: no authentication */
	size_t nr_users;
	unsigned long crypts;		/* bcrypt runs so far */
};

/*
 * Load @path into @wc (zeroed first).  Returns 0, or -errno with a
 * message in @err naming the file and, for YAML, the line: no prefix.
 */
int ks_web_config_load(const char *path, struct ks_web_config *wc,
		       char *err, size_t err_len);
void ks_web_config_free(struct ks_web_config *wc);

/*
 * Does @user with @password match a basic_auth_users entry?  A bcrypt at
 * cost 10 takes ~70 ms, and Prometheus sends the same password on every
 * scrape: as in exporter-toolkit, the password a user was last accepted
 * with is remembered (as a SHA-256 of it and the user's hash) and
 * accepted again without bcrypt.  Anything else runs one bcrypt, unknown
 * users included, so that timing does not tell which users exist.
 * Thread-safe.
 */
bool ks_web_config_auth(struct ks_web_config *wc, const char *user,
			const char *password);

#endif /* KVMSCOPE_EXPORTER_WEBCONFIG_H */
