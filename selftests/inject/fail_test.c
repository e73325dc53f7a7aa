// SPDX-License-Identifier: GPL-2.0-only
/*
 * A kselftest that always fails, run only under 'scripts/check.sh --inject fail' to show
 * that a failing kselftest fails the whole run.
 */
#include "kselftest_harness.h"

TEST(deliberate_failure)
{
	EXPECT_EQ(1, 2) TH_LOG("this failure was injected on purpose");
}

TEST_HARNESS_MAIN
