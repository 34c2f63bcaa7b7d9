/*
 * Tests for command line parsing in xen/common/params.c.
 */

#include <xen/errno.h>
#include <xen/lib.h>
#include <xen/param.h>

#include "harness.h"
#include "stubs.h"

static bool opt_flag;
static bool opt_other;
static u8 opt_u8;
static u16 opt_u16;
static u32 opt_u32;
static u64 opt_u64;
static u64 opt_size;
static u32 opt_size32;
static char opt_str[8];
static char opt_console[64];

static char custom_seen[64];
static unsigned int custom_calls;

static int custom_fn(const char *v)
{
    custom_calls++;
    snprintf(custom_seen, sizeof(custom_seen), "%s", v);
    return strcmp(v, "bad") ? 0 : -EINVAL;
}

static const struct kernel_param params[] = {
    { .name = "flag", .type = OPT_BOOL, .len = sizeof(opt_flag),
      .par.var = &opt_flag },
    { .name = "other", .type = OPT_BOOL, .len = sizeof(opt_other),
      .par.var = &opt_other },
    { .name = "u8", .type = OPT_UINT, .len = 1, .par.var = &opt_u8 },
    { .name = "u16", .type = OPT_UINT, .len = 2, .par.var = &opt_u16 },
    { .name = "u32", .type = OPT_UINT, .len = 4, .par.var = &opt_u32 },
    { .name = "u64", .type = OPT_UINT, .len = 8, .par.var = &opt_u64 },
    { .name = "mem", .type = OPT_SIZE, .len = 8, .par.var = &opt_size },
    { .name = "mem32", .type = OPT_SIZE, .len = 4, .par.var = &opt_size32 },
    { .name = "str", .type = OPT_STR, .len = sizeof(opt_str),
      .par.var = opt_str },
    { .name = "console", .type = OPT_STR, .len = sizeof(opt_console),
      .par.var = opt_console },
    { .name = "custom", .type = OPT_CUSTOM, .par.func = custom_fn },
};

#define P_START (&params[0])
#define P_END   (&params[ARRAY_SIZE(params)])

static void reset_vars(void)
{
    opt_flag = opt_other = false;
    opt_u8 = 0;
    opt_u16 = 0;
    opt_u32 = 0;
    opt_u64 = 0;
    opt_size = 0;
    opt_size32 = 0;
    memset(opt_str, 0, sizeof(opt_str));
    memset(opt_console, 0, sizeof(opt_console));
    custom_seen[0] = '\0';
    custom_calls = 0;
}

static int parse(const char *cmdline)
{
    reset_vars();
    stub_log_clear();
    return parse_params(cmdline, P_START, P_END);
}

#define BAD_VALUE(n, v) "<1>Bad value for option '" n "': '" v "'\n"
#define UNKNOWN(n)      "<1>Unknown command line option '" n "'\n"

TEST(parse_bool_accepts_every_documented_word)
{
    CHECK_EQ(parse_bool("1"), 1);
    CHECK_EQ(parse_bool("yes"), 1);
    CHECK_EQ(parse_bool("on"), 1);
    CHECK_EQ(parse_bool("true"), 1);
    CHECK_EQ(parse_bool("enable"), 1);
    CHECK_EQ(parse_bool("0"), 0);
    CHECK_EQ(parse_bool("no"), 0);
    CHECK_EQ(parse_bool("off"), 0);
    CHECK_EQ(parse_bool("false"), 0);
    CHECK_EQ(parse_bool("disable"), 0);
}

TEST(parse_bool_rejects_anything_else)
{
    CHECK_EQ(parse_bool(""), -1);
    CHECK_EQ(parse_bool("2"), -1);
    CHECK_EQ(parse_bool("yess"), -1);
    CHECK_EQ(parse_bool("ye"), -1);
    CHECK_EQ(parse_bool("o"), -1);
    CHECK_EQ(parse_bool(" on"), -1);
    CHECK_EQ(parse_bool(NULL), -1);
}

TEST(bare_boolean_sets_true_and_no_prefix_sets_false)
{
    CHECK_EQ(parse("flag"), 0);
    CHECK(opt_flag);
    CHECK_STR_EQ(stub_log(), "");

    opt_other = true;
    CHECK_EQ(parse_params("no-other", P_START, P_END), 0);
    CHECK(!opt_other);
}

TEST(boolean_with_value_and_inverted_value)
{
    CHECK_EQ(parse("flag=on other=yes"), 0);
    CHECK(opt_flag);
    CHECK(opt_other);

    CHECK_EQ(parse_params("flag=off other=0", P_START, P_END), 0);
    CHECK(!opt_flag);
    CHECK(!opt_other);

    /* As in Xen: no-name=value inverts the value. */
    CHECK_EQ(parse_params("no-flag=0", P_START, P_END), 0);
    CHECK(opt_flag);
}

TEST(boolean_with_a_bad_value_is_reported_and_unchanged)
{
    opt_flag = true;
    stub_log_clear();
    CHECK_EQ(parse_params("flag=maybe", P_START, P_END), 1);
    CHECK(opt_flag);
    CHECK(stub_log_contains(BAD_VALUE("flag", "maybe")));
    CHECK_EQ(parse("flag="), 1);
    CHECK(stub_log_contains(BAD_VALUE("flag", "")));
}

TEST(no_prefix_on_a_non_boolean_is_unknown)
{
    CHECK_EQ(parse("no-u32"), 1);
    CHECK(stub_log_contains(UNKNOWN("no-u32")));
    CHECK_EQ(parse("no-"), 1);
    CHECK(stub_log_contains(UNKNOWN("no-")));
}

TEST(unsigned_integers_in_decimal_and_hex)
{
    CHECK_EQ(parse("u8=255 u16=0xffff u32=4294967295 "
                   "u64=0xFFFFFFFFFFFFFFFF"), 0);
    CHECK_EQ(opt_u8, 255);
    CHECK_EQ(opt_u16, 0xffff);
    CHECK_EQ(opt_u32, 0xffffffffu);
    CHECK_EQ(opt_u64, ~0ULL);
    CHECK_STR_EQ(stub_log(), "");

    CHECK_EQ(parse("u32=0x1aB u64=18446744073709551615 u8=0"), 0);
    CHECK_EQ(opt_u32, 0x1ab);
    CHECK_EQ(opt_u64, ~0ULL);
    CHECK_EQ(opt_u8, 0);

    /* No octal: a leading zero is still decimal. */
    CHECK_EQ(parse("u32=010"), 0);
    CHECK_EQ(opt_u32, 10);
}

TEST(integer_out_of_range_for_its_variable_is_bad)
{
    opt_u8 = 7;
    stub_log_clear();
    CHECK_EQ(parse_params("u8=256", P_START, P_END), 1);
    CHECK_EQ(opt_u8, 7);
    CHECK(stub_log_contains(BAD_VALUE("u8", "256")));

    CHECK_EQ(parse("u16=65536 u32=0x100000000"), 2);
    CHECK_EQ(opt_u16, 0);
    CHECK_EQ(opt_u32, 0);
    CHECK(stub_log_contains(BAD_VALUE("u16", "65536")));
    CHECK(stub_log_contains(BAD_VALUE("u32", "0x100000000")));

    /* Beyond 64 bits must not wrap around. */
    CHECK_EQ(parse("u64=18446744073709551616 u64=0x10000000000000000"), 2);
    CHECK_EQ(opt_u64, 0);
}

TEST(integer_that_is_not_a_number_is_bad)
{
    CHECK_EQ(parse("u32=abc"), 1);
    CHECK(stub_log_contains(BAD_VALUE("u32", "abc")));
    CHECK_EQ(parse("u32=12abc"), 1);
    CHECK(stub_log_contains(BAD_VALUE("u32", "12abc")));
    CHECK_EQ(parse("u32=-1"), 1);
    CHECK_EQ(parse("u32=0x"), 1);
    CHECK_EQ(parse("u32=0xg"), 1);
    CHECK_EQ(parse("u32=1K"), 1);           /* suffixes are for sizes */
    CHECK_EQ(parse("u32=\" 5\""), 1);
    CHECK_EQ(opt_u32, 0);
}

TEST(integer_with_empty_or_missing_value_is_bad)
{
    CHECK_EQ(parse("u32="), 1);
    CHECK(stub_log_contains(BAD_VALUE("u32", "")));
    CHECK_EQ(parse("u32"), 1);
    CHECK(stub_log_contains(BAD_VALUE("u32", "")));
    CHECK_EQ(parse("mem="), 1);
}

TEST(sizes_take_k_m_g_t_suffixes_in_either_case)
{
    static const struct
    {
        const char *cmd;
        u64 val;
    } cases[] = {
        { "mem=4096", 4096 },
        { "mem=0x1000", 0x1000 },
        { "mem=1k", 1ULL << 10 },
        { "mem=1K", 1ULL << 10 },
        { "mem=3m", 3ULL << 20 },
        { "mem=512M", 512ULL << 20 },
        { "mem=2g", 2ULL << 30 },
        { "mem=16G", 16ULL << 30 },
        { "mem=1t", 1ULL << 40 },
        { "mem=4T", 4ULL << 40 },
        { "mem=0x10M", 16ULL << 20 },
        { "mem=16777215T", 16777215ULL << 40 },
    };
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(cases); i++ )
    {
        CHECK_EQ(parse(cases[i].cmd), 0);
        CHECK_EQ(opt_size, cases[i].val);
    }
}

TEST(bad_sizes_are_rejected)
{
    static const char *const bad[] = {
        "mem=1x", "mem=1KB", "mem=K", "mem=1KK", "mem=16777216T",
        "mem=99999999999999999999", "mem=1P", "mem=-1M",
    };
    unsigned int i;

    for ( i = 0; i < ARRAY_SIZE(bad); i++ )
    {
        opt_size = 0;
        CHECK_EQ(parse(bad[i]), 1);
        CHECK_EQ(opt_size, 0);
    }
    CHECK_EQ(parse("mem=1KB"), 1);
    CHECK(stub_log_contains(BAD_VALUE("mem", "1KB")));
}

TEST(size_into_a_32_bit_variable_is_range_checked)
{
    CHECK_EQ(parse("mem32=3G"), 0);
    CHECK_EQ(opt_size32, 3ULL << 30);
    CHECK_EQ(parse("mem32=4G"), 1);
    CHECK_EQ(opt_size32, 0);
}

TEST(strings_are_copied_and_too_long_is_bad)
{
    CHECK_EQ(parse("str=abcdefg"), 0);      /* 7 chars + NUL = 8 */
    CHECK_STR_EQ(opt_str, "abcdefg");

    memcpy(opt_str, "keep", 5);
    stub_log_clear();
    CHECK_EQ(parse_params("str=abcdefgh", P_START, P_END), 1);
    CHECK_STR_EQ(opt_str, "keep");
    CHECK(stub_log_contains(BAD_VALUE("str", "abcdefgh")));

    memcpy(opt_str, "keep", 5);
    CHECK_EQ(parse_params("str=", P_START, P_END), 0);
    CHECK_STR_EQ(opt_str, "");
    memcpy(opt_str, "keep", 5);
    CHECK_EQ(parse_params("str", P_START, P_END), 0);
    CHECK_STR_EQ(opt_str, "");
}

TEST(quoted_values_may_hold_blanks)
{
    CHECK_EQ(parse("console=\"com1 vga\" flag"), 0);
    CHECK_STR_EQ(opt_console, "com1 vga");
    CHECK(opt_flag);

    CHECK_EQ(parse("console=\"\" u8=1"), 0);
    CHECK_STR_EQ(opt_console, "");
    CHECK_EQ(opt_u8, 1);

    CHECK_EQ(parse("u32=\"42\""), 0);
    CHECK_EQ(opt_u32, 42);

    /* An unterminated quote runs to the end of the line. */
    CHECK_EQ(parse("flag console=\"a b  c"), 0);
    CHECK_STR_EQ(opt_console, "a b  c");
    CHECK(opt_flag);
}

TEST(custom_handlers_get_the_value_and_may_reject_it)
{
    CHECK_EQ(parse("custom=hello"), 0);
    CHECK_STR_EQ(custom_seen, "hello");
    CHECK_EQ(custom_calls, 1);

    CHECK_EQ(parse("custom"), 0);
    CHECK_STR_EQ(custom_seen, "");
    CHECK_EQ(custom_calls, 1);

    CHECK_EQ(parse("custom=bad"), 1);
    CHECK_EQ(custom_calls, 1);
    CHECK(stub_log_contains(BAD_VALUE("custom", "bad")));
}

TEST(unknown_option_is_reported_with_the_exact_message)
{
    CHECK_EQ(parse("foo"), 1);
    CHECK_STR_EQ(stub_log(), UNKNOWN("foo"));

    CHECK_EQ(parse("foo=bar"), 1);
    CHECK_STR_EQ(stub_log(), UNKNOWN("foo"));

    /* A prefix or an extension of a known name is not that name. */
    CHECK_EQ(parse("fla flags u3"), 3);
    CHECK(stub_log_contains(UNKNOWN("fla")));
    CHECK(stub_log_contains(UNKNOWN("flags")));
    CHECK(stub_log_contains(UNKNOWN("u3")));
}

TEST(later_options_still_apply_after_bad_ones)
{
    CHECK_EQ(parse("u8=300 bogus flag u32=7 str=waytoolong mem=2M"), 3);
    CHECK_EQ(opt_u8, 0);
    CHECK(opt_flag);
    CHECK_EQ(opt_u32, 7);
    CHECK_STR_EQ(opt_str, "");
    CHECK_EQ(opt_size, 2ULL << 20);
    CHECK_EQ(stub_log_count("Bad value for option"), 2);
    CHECK_EQ(stub_log_count("Unknown command line option"), 1);
}

TEST(return_value_counts_every_rejected_option)
{
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(parse(NULL), 0);
    CHECK_EQ(parse("   \t "), 0);
    CHECK_EQ(parse("a b c flag d"), 4);
    CHECK_EQ(parse("u8=1 u8=2 u8=x"), 1);
    CHECK_EQ(opt_u8, 2);
}

TEST(blanks_of_any_kind_separate_options)
{
    CHECK_EQ(parse("  flag\tu8=3\n\nu16=4\r\n"), 0);
    CHECK(opt_flag);
    CHECK_EQ(opt_u8, 3);
    CHECK_EQ(opt_u16, 4);
}

TEST(last_occurrence_wins)
{
    CHECK_EQ(parse("flag no-flag u32=1 u32=2"), 0);
    CHECK(!opt_flag);
    CHECK_EQ(opt_u32, 2);
}

TEST(a_very_long_value_is_rejected_not_overflowed)
{
    static char cmd[4096];

    memcpy(cmd, "console=", 8);
    memset(cmd + 8, 'x', sizeof(cmd) - 9);
    cmd[sizeof(cmd) - 1] = '\0';
    CHECK_EQ(parse(cmd), 1);
    CHECK_STR_EQ(opt_console, "");
    CHECK_EQ(stub_log_count("Bad value for option 'console'"), 1);
}

TEST(the_param_macros_build_usable_entries)
{
    static unsigned int mval;
    static bool mflag;
    integer_param("mval", mval);
    boolean_param("mflag", mflag);

    CHECK_EQ(parse_params("mval=0x20 no-mflag", &param_mval,
                          &param_mval + 1), 1);
    CHECK_EQ(mval, 0x20);
    mflag = true;
    CHECK_EQ(parse_params("no-mflag", &param_mflag, &param_mflag + 1), 0);
    CHECK(!mflag);
}
