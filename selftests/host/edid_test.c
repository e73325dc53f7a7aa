// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tier: the virtual monitor's EDID (vfio-glue/edid.c) — a valid EDID 1.4 block
 * whose first detailed timing is the asked-for mode.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "edid.h"

static const uint8_t magic[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };

static void check_block(struct __test_metadata *_metadata, const uint8_t *b,
			unsigned int w, unsigned int h)
{
	uint8_t sum = 0;
	int i;

	ASSERT_EQ(0, memcmp(b, magic, 8));
	for (i = 0; i < MGPU_EDID_BLOCK; i++)
		sum += b[i];
	EXPECT_EQ(0, sum);
	EXPECT_EQ(1, b[18]);
	EXPECT_EQ(4, b[19]);
	EXPECT_EQ(w, b[56] | (b[58] >> 4) << 8);
	EXPECT_EQ(h, b[59] | (b[61] >> 4) << 8);
	EXPECT_NE(0, b[54] | b[55]);		/* pixel clock */
	EXPECT_EQ(0xfc, b[75]);			/* monitor name descriptor */
	EXPECT_EQ(0, b[126]);			/* no extensions */
}

TEST(common_modes)
{
	static const unsigned int modes[][2] = {
		{ 640, 480 }, { 1024, 768 }, { 1280, 800 }, { 1920, 1080 }, { 3840, 2160 },
	};
	uint8_t b[MGPU_EDID_BLOCK];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ASSERT_EQ(0, mgpu_edid_build(b, modes[i][0], modes[i][1]));
		check_block(_metadata, b, modes[i][0], modes[i][1]);
	}
}

TEST(out_of_range_refused)
{
	uint8_t b[MGPU_EDID_BLOCK];

	memset(b, 0xaa, sizeof(b));
	EXPECT_EQ(-EINVAL, mgpu_edid_build(b, 639, 480));
	EXPECT_EQ(-EINVAL, mgpu_edid_build(b, 640, 479));
	EXPECT_EQ(-EINVAL, mgpu_edid_build(b, 4096, 768));
	EXPECT_EQ(-EINVAL, mgpu_edid_build(b, 1024, 2161));
	EXPECT_EQ(-EINVAL, mgpu_edid_build(b, 0xffffffff, 0xffffffff));
	EXPECT_EQ(0xaa, b[0]);
}

TEST_HARNESS_MAIN
