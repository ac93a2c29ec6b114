// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace: what private<->shared conversions and MMU role recomputations
 * cost confidential KVM guests.  See `tdx-trace --help`.
 */
#include "cli.h"
#include "output.h"
#include "termtext.h"

int main(int argc, char **argv)
{
	struct tdx_env env;
	int ret;

	ks_term_setup_locale();
	switch (tdx_parse_args(argc, argv, &env)) {
	case TDX_PARSE_EXIT_OK:
		return ks_flush_stdout() ? KS_EXIT_FAIL : 0;	/* the help */
	case TDX_PARSE_USAGE:
		if (env.err[0])
			p_err("%s (see tdx-trace --help)", env.err);
		return KS_EXIT_USAGE;
	case TDX_PARSE_RUN:
		break;
	}
	ret = env.cmd->run(&env);
	/* Whatever was written last, a message or a summary, must have arrived. */
	if (ks_flush_stdout() && !ret)
		ret = KS_EXIT_FAIL;
	return ret;
}
