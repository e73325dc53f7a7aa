// SPDX-License-Identifier: GPL-2.0-only
/*
 * A module whose only job is one kernel WARN when it loads, so that the test runner's
 * console check can be shown to catch it (scripts/check.sh --inject warn).
 */
#include <linux/module.h>

static int __init inject_init(void)
{
	WARN(1, "mgpu_inject_warn: deliberate warning for the test runner\n");
	return 0;
}

static void __exit inject_exit(void)
{
}

module_init(inject_init);
module_exit(inject_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mgpu test runner: deliberate WARN");
