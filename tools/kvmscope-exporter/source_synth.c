// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Synthetic map contents from a spec file: see source_synth.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "vmname.h"
#include "source_synth.h"

#define SPEC_MAX_BYTES	(1 << 20)
#define LINE_MAX_BYTES	512

static int cmp_vm(const void *a, const void *b)
{
	return strcmp(((const struct synth_vm *)a)->id,
		      ((const struct synth_vm *)b)->id);
}

static int parse_attr(struct synth_vm *vm, const char *tok, char *err,
		      size_t err_len)
{
	const char *eq = strchr(tok, '=');
	uint64_t v;
	int r;

	/* A flag: tests compare exact values while the exporter serves. */
	if (!strcmp(tok, "hold")) {
		vm->hold = 1;
		return 0;
	}
	if (!eq) {
		snprintf(err, err_len, "'%s' is not key=value or hold", tok);
		return -EINVAL;
	}
	if (!strncmp(tok, "name=", 5)) {
		if (strlen(eq + 1) >= sizeof(vm->name)) {
			snprintf(err, err_len, "name longer than %zu bytes",
				 sizeof(vm->name) - 1);
			return -EINVAL;
		}
		strcpy(vm->name, eq + 1);
		return 0;
	}
	if (!strncmp(tok, "vcpus=", 6)) {
		r = ks_parse_u64(eq + 1, "vcpus", 1, SYNTH_MAX_VCPUS, &v, err,
				 err_len);
		vm->vcpus = v;
		return r ? -EINVAL : 0;
	}
	if (!strncmp(tok, "rate=", 5)) {
		r = ks_parse_u64(eq + 1, "rate", 0, 1000000, &v, err, err_len);
		vm->rate = v;
		return r ? -EINVAL : 0;
	}
	snprintf(err, err_len, "unknown attribute '%.*s'", (int)(eq - tok),
		 tok);
	return -EINVAL;
}

/* One line, NUL-terminated, comment stripped.  1 if it held a VM. */
static int parse_line(char *line, struct synth_vm *vm, char *err,
		      size_t err_len)
{
	char *save = NULL, *tok;
	int r;

	tok = strtok_r(line, " \t\r", &save);
	if (!tok)
		return 0;
	if (strlen(tok) >= sizeof(vm->id)) {
		snprintf(err, err_len, "VM id longer than %zu bytes",
			 sizeof(vm->id) - 1);
		return -EINVAL;
	}
	if (!strcmp(tok, KS_VM_OTHER)) {
		snprintf(err, err_len, "VM id %s is the folded VMs' (--max-vms)",
			 KS_VM_OTHER);
		return -EINVAL;
	}
	memset(vm, 0, sizeof(*vm));
	strcpy(vm->id, tok);
	vm->vcpus = 1;
	vm->rate = 10;
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		r = parse_attr(vm, tok, err, err_len);
		if (r)
			return r;
	}
	return 1;
}

int synth_parse(const char *text, size_t len, struct synth_vm **vms,
		char *err, size_t err_len)
{
	struct synth_vm *out = NULL;
	size_t n = 0, lineno = 0, pos = 0;
	char line[LINE_MAX_BYTES], msg[KS_ERR_LEN];
	int r = 0;

	*vms = NULL;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = (nl ? (size_t)(nl - text) : len) - pos;
		char *hash;

		lineno++;
		if (l >= sizeof(line)) {
			snprintf(err, err_len, "line %zu: longer than %zu bytes",
				 lineno, sizeof(line) - 1);
			r = -EINVAL;
			goto fail;
		}
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (memchr(line, '\0', l)) {
			snprintf(err, err_len, "line %zu: NUL byte", lineno);
			r = -EINVAL;
			goto fail;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (n == SYNTH_MAX_VMS) {
			snprintf(err, err_len, "more than %d VMs", SYNTH_MAX_VMS);
			r = -EINVAL;
			goto fail;
		}
		if (n % 64 == 0) {
			struct synth_vm *p = realloc(out, (n + 64) * sizeof(*out));

			if (!p) {
				r = -ENOMEM;
				snprintf(err, err_len, "out of memory");
				goto fail;
			}
			out = p;
		}
		r = parse_line(line, &out[n], msg, sizeof(msg));
		if (r < 0) {
			snprintf(err, err_len, "line %zu: %s", lineno, msg);
			goto fail;
		}
		n += r;
	}
	if (n)		/* qsort(NULL, 0, ...) is undefined */
		qsort(out, n, sizeof(*out), cmp_vm);
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(out[i - 1].id, out[i].id)) {
			snprintf(err, err_len, "VM %s listed twice", out[i].id);
			r = -EINVAL;
			goto fail;
		}
	}
	*vms = out;
	return n;
fail:
	free(out);
	return r;
}

/*
 * Spread @total observations over log2 slots @lo.. with @weights, through
 * cumulative floors so every cumulative bucket is non-decreasing in
 * @total: the counters of a growing synthetic VM never go backwards.
 */
static void spread(struct ks_hist *h, uint64_t total, int lo,
		   const unsigned int *weights, int nw)
{
	uint64_t prev = 0, cum_w = 0, all_w = 0;

	for (int i = 0; i < nw; i++)
		all_w += weights[i];
	for (int i = 0; i < nw; i++) {
		uint64_t upto;

		cum_w += weights[i];
		upto = i == nw - 1 ? total : total * cum_w / all_w;
		h->slots[lo + i] += upto - prev;
		/* Each observation counts as its slot's midpoint, 1.5 * 2^n. */
		h->sum_ns += (upto - prev) * (3ULL << (lo + i)) / 2;
		prev = upto;
	}
}

static const unsigned int bell[] = { 1, 4, 10, 16, 10, 4, 2, 1 };

static void fill_conv(struct ks_conv *c, uint64_t n, int slow)
{
	uint64_t done = n - n / 8;

	c->count = n;
	c->noop = n / 8;
	c->errors = n / 64;
	c->pages = n * 512;		/* 2 MiB per request */
	c->flushes = done + done / 16;
	c->zapped[KS_LEVEL_4K] = done * 96;
	c->zapped[KS_LEVEL_2M] = done * 2;
	c->zapped[KS_LEVEL_1G] = done / 256;
	/* 16us..2ms, to-private a little slower (it zaps more). */
	spread(&c->duration, n, 14 + slow, bell, sizeof(bell) / sizeof(bell[0]));
}

static void fill_vcpu(struct ks_vcpu *v, uint64_t k)
{
	/* Every 8th vCPU drains late: the per-vCPU p99 has something to show. */
	int lat_lo = v->id % 8 == 7 ? 14 : 11;

	v->roles.computed[KS_MMU_ROOT] = k + 1;
	v->roles.cause[KS_MMU_ROOT][KS_CAUSE_INIT] = 1;
	v->roles.cause[KS_MMU_ROOT][KS_CAUSE_MODE] = k / 4;
	v->roles.cause[KS_MMU_ROOT][KS_CAUSE_SMM] = k / 64;
	v->roles.computed[KS_MMU_GUEST] = k / 2;
	v->roles.cause[KS_MMU_GUEST][KS_CAUSE_NESTED] = k / 8;
	v->roles.computed[KS_MMU_NGPA_WALK] = k / 2;
	v->roles.cause[KS_MMU_NGPA_WALK][KS_CAUSE_NESTED] = k / 8;
	for (int f = 0; f < KS_NR_FIFOS; f++) {
		struct ks_hvfifo *h = &v->hv[f];
		uint64_t e = f == KS_FIFO_L1 ? k : k / 4;

		h->enqueues = e;
		h->flush_all = e / 10;
		h->overflows = e / 50;
		h->purges = e / 20;
		h->drains = e - e / 20;
		spread(&h->latency, h->drains, lat_lo + 2 * f, bell,
		       sizeof(bell) / sizeof(bell[0]));
	}
	/* A TDX guest converts through MapGPA: a request per conversion. */
	v->mapgpa.count = k;
	v->mapgpa.to_private = (k + 1) / 2;
	v->mapgpa.pages = k * 512;
	v->mapgpa.userspace_exits = k;
	spread(&v->mapgpa.latency, k, 15, bell, sizeof(bell) / sizeof(bell[0]));
}

void synth_fill(struct ks_store *store, struct ks_vm *vm,
		const struct synth_vm *spec, double elapsed)
{
	uint64_t n = (uint64_t)(spec->rate * (elapsed > 0 ? elapsed : 0));

	snprintf(vm->name, sizeof(vm->name), "%s", spec->name);
	fill_conv(&vm->conv[KS_DIR_PRIVATE], (n + 1) / 2, 1);
	fill_conv(&vm->conv[KS_DIR_SHARED], n / 2, 0);
	for (int i = 0; i < spec->vcpus; i++) {
		struct ks_vcpu *v = ks_vm_vcpu(vm, i);

		if (!v)
			return;
		/* vCPUs differ a little so per-vCPU panels are not flat. */
		fill_vcpu(v, n + n * (i % 4) / 8);
	}
	(void)store;
}

struct synth_source {
	struct ks_source src;
	char *path;
	pid_t pid;
	struct synth_vm *vms;	/* last good spec, sorted by id */
	int nr_vms;
	char err[KS_ERR_LEN];
};

/* Read and parse the spec at @path.  VM count, or -errno with @err. */
static int synth_load(const char *path, struct synth_vm **vms, char *err,
		      size_t err_len)
{
	char *text, msg[KS_ERR_LEN];
	size_t len;
	FILE *f;
	int n;

	f = fopen(path, "r");
	if (!f) {
		n = -errno;
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return n;
	}
	text = malloc(SPEC_MAX_BYTES);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(text, 1, SPEC_MAX_BYTES, f);
	fclose(f);
	if (len == SPEC_MAX_BYTES) {
		snprintf(err, err_len, "%s: larger than %d bytes", path,
			 SPEC_MAX_BYTES);
		free(text);
		return -EFBIG;
	}
	n = synth_parse(text, len, vms, msg, sizeof(msg));
	free(text);
	if (n < 0)
		snprintf(err, err_len, "%s: %s", path, msg);
	return n;
}

/*
 * Re-read the spec; VMs already known keep their first_seen, and a held
 * VM the age its counters stopped at.
 */
static int synth_reload(struct synth_source *s, double now)
{
	struct synth_vm *vms;
	int n;

	n = synth_load(s->path, &vms, s->err, sizeof(s->err));
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct synth_vm *old = s->nr_vms ?
			bsearch(&vms[i], s->vms, s->nr_vms, sizeof(*vms), cmp_vm) :
			NULL;

		vms[i].first_seen = old ? old->first_seen : now;
		if (vms[i].hold)
			vms[i].held_at = old && old->hold ? old->held_at :
				now - vms[i].first_seen;
	}
	free(s->vms);
	s->vms = vms;
	s->nr_vms = n;
	return 0;
}

static int synth_collect(struct ks_source *src, struct ks_store *store)
{
	struct synth_source *s = (struct synth_source *)src;
	uint64_t events = 0;
	int err;

	/* A bad edit keeps the previous VMs and marks the source down. */
	err = synth_reload(s, store->now);
	for (int i = 0; i < s->nr_vms; i++) {
		const struct synth_vm *spec = &s->vms[i];
		struct ks_vm *vm;

		if (s->pid && ks_stats_id_pid(spec->id) != s->pid)
			continue;
		vm = ks_store_vm(store, spec->id);
		if (!vm)
			return -ENOMEM;
		synth_fill(store, vm, spec, spec->hold ? spec->held_at :
			   store->now - spec->first_seen);
		events += vm->conv[0].count + vm->conv[1].count;
		/* Flush hypercalls are host-wide: one per 4 enqueues. */
		for (size_t j = 0; j < vm->nr_vcpus; j++)
			for (int f = 0; f < KS_NR_FIFOS; f++)
				store->hv_hypercalls[f] +=
					vm->vcpus[j].hv[f].enqueues / 4;
		for (size_t j = 0; j < vm->nr_vcpus; j++)
			store->hv_synthetic_vmexits +=
				vm->vcpus[j].hv[KS_FIFO_L2].enqueues / 16;
	}
	ks_store_prog(store, "synthetic", "synthetic", events, events * 500);
	ks_store_map(store, "synthetic", "vms", s->nr_vms, SYNTH_MAX_VMS);
	ks_store_lost(store, "synthetic", "ringbuf_full", 0);
	ks_store_lost(store, "synthetic", "map_full", 0);
	return err;
}

static void synth_destroy(struct ks_source *src)
{
	struct synth_source *s = (struct synth_source *)src;

	free(s->vms);
	free(s->path);
	free(s);
}

struct ks_source *synth_source_new(const char *path, pid_t pid, char *err,
				   size_t err_len)
{
	struct synth_source *s;
	struct synth_vm *vms;
	int n;

	n = synth_load(path, &vms, err, err_len);
	if (n < 0)
		return NULL;
	free(vms);
	s = calloc(1, sizeof(*s));
	if (s)
		s->path = strdup(path);
	if (!s || !s->path) {
		free(s);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->pid = pid;
	s->src = (struct ks_source){
		.name = "synthetic",
		.mode = "synthetic",
		.have = KS_HAVE_CONV | KS_HAVE_CONV_SERIES | KS_HAVE_MAPGPA |
			KS_HAVE_ROLES | KS_HAVE_HV_HYPERCALLS | KS_HAVE_HV_FIFO,
		.collect = synth_collect,
		.destroy = synth_destroy,
	};
	return &s->src;
}
