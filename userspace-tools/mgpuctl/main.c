// SPDX-License-Identifier: GPL-2.0-only
/*
 * mgpuctl: command line parsing, help, messages and dispatch to the commands. Options
 * may come before or after the command; each command accepts only its own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mgpuctl.h"

/* Command options, as bits of struct mc_cmd.opts. */
#define O_JSON		0x01
#define O_PROM		0x02
#define O_ONCE		0x04
#define O_INTERVAL	0x08
#define O_COUNT		0x10
#define O_PLAIN		0x20

enum { OPT_ROOT = 256, OPT_DUMP, OPT_JSON, OPT_PROM, OPT_ONCE, OPT_INTERVAL, OPT_PLAIN };

static const struct option long_opts[] = {
	{ "sysfs-root",	required_argument,	NULL, OPT_ROOT },
	{ "pci-dump",	required_argument,	NULL, OPT_DUMP },
	{ "json",	no_argument,		NULL, OPT_JSON },
	{ "prometheus",	no_argument,		NULL, OPT_PROM },
	{ "once",	no_argument,		NULL, OPT_ONCE },
	{ "interval",	required_argument,	NULL, OPT_INTERVAL },
	{ "plain",	no_argument,		NULL, OPT_PLAIN },
	{ "count",	required_argument,	NULL, 'n' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/**
 * struct mc_cmd - one command
 * @name: what the user types
 * @run: its implementation
 * @opts: the O_* options it accepts
 * @min_args: arguments it needs
 * @max_args: arguments it takes at most, -1 for any number
 * @usage: its synopsis after "mgpuctl "
 * @help: what it does, one or more lines
 */
struct mc_cmd {
	const char *name;
	int (*run)(const struct mc_opts *o);
	unsigned int opts;
	int min_args;
	int max_args;
	const char *usage;
	const char *help;
};

static const struct mc_cmd cmds[] = {
	{ "list", mc_cmd_list, O_JSON, 0, 0, "list [--json]",
	  "List the physical GPUs (libpci), the GPUs mgpu drives with their free VRAM,\n"
	  "policy and types' available instances, and every vGPU with its type, state\n"
	  "and QoS settings.\n" },
	{ "create", mc_cmd_create, 0, 2, 3, "create PARENT TYPE [UUID]",
	  "Create a vGPU of TYPE (mgpu-16M, or just 16M) on PARENT (a PCI address or\n"
	  "mgpu-soft.N) and print its UUID. Without UUID, a random one is made.\n" },
	{ "remove", mc_cmd_remove, 0, 1, 1, "remove UUID",
	  "Remove a vGPU. A vGPU that a VM holds open goes when the VM releases it.\n" },
	{ "set", mc_cmd_set, 0, 2, -1, "set UUID KEY=VALUE...",
	  "Change a vGPU's settings, written one by one in the order given; stops at the\n"
	  "first the kernel refuses. Keys:\n"
	  "  weight=1..10000          relative share of the engine\n"
	  "  cap=1..100               most of the engine it may use, percent\n"
	  "  reservation=0..100       share of the engine guaranteed to it, percent\n"
	  "  timeslice_ms=1..30       its time slice\n"
	  "  latency_class=normal|interactive   interactive wakes preempt\n"
	  "  resolution=WIDTHxHEIGHT  the preferred mode of its virtual monitor\n" },
	{ "policy", mc_cmd_policy, 0, 1, 2, "policy PARENT [best_effort|equal_share|fixed_share]",
	  "Show or set the scheduling policy of a GPU's engine.\n" },
	{ "top", mc_cmd_top, O_ONCE | O_INTERVAL | O_COUNT | O_PLAIN,
	  0, 0, "top [--once] [--interval S] [-n COUNT] [--plain]",
	  "Show each vGPU's engine share over the interval (default 1 s), VRAM,\n"
	  "commands/s, latency p50/p99 (bucket upper bounds), errors and state. Redraws\n"
	  "the screen on a terminal; --plain (or a pipe) prints blocks of lines instead.\n"
	  "--once prints one sample and exits; -n stops after COUNT samples.\n" },
	{ "stats", mc_cmd_stats, O_JSON | O_PROM, 0, 0, "stats [--json|--prometheus]",
	  "Print every counter of every GPU, type and vGPU: as text, as JSON, or in\n"
	  "Prometheus' text format (for node_exporter's textfile collector).\n" },
	{ "snapshot", mc_cmd_snapshot, 0, 2, 2, "snapshot UUID FILE.png",
	  "Save the vGPU's current screen (mgpu/mode, mgpu/framebuffer) as a PNG. Needs\n"
	  "root. 8 bpp modes are saved as grey levels of the palette index.\n" },
	{ "tmem", mc_cmd_tmem, 0, 0, 0, "tmem",
	  "Show the transcendent-memory service: its clients and pools.\n" },
	{ "help", NULL, 0, 0, 1, "help [COMMAND]", "Show the help, or a command's.\n" },
};

/* What the command line asked for, before a command runs. */
struct cli {
	struct mc_opts o;
	unsigned int given;	/* O_* options seen */
	bool help;
	bool version;
	const char *root;
	const char *dump;
};

static const struct mc_cmd *cur_cmd;

/**
 * mc_err - print "mgpuctl: <message>" on stderr
 * @fmt: the message, a printf format
 */
void mc_err(const char *fmt, ...)
{
	va_list ap;

	fputs("mgpuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/**
 * mc_err_errno - print "mgpuctl: <what>: <strerror(err)>" on stderr
 * @err: a positive errno
 * @fmt: what failed, a printf format
 */
void mc_err_errno(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("mgpuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
}

/**
 * mc_hint - print "mgpuctl: hint: <message>" on stderr, after an error
 * @fmt: what may help, a printf format
 */
void mc_hint(const char *fmt, ...)
{
	va_list ap;

	fputs("mgpuctl: hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/**
 * mc_usage_error - report a command line mistake
 * @cmd: the command's name, NULL when the command is not known yet
 * @fmt: what is wrong
 *
 * Return: MC_EXIT_USAGE.
 */
int mc_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("mgpuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!cmd && cur_cmd)
		cmd = cur_cmd->name;
	if (cmd)
		fprintf(stderr, "Try 'mgpuctl %s --help'.\n", cmd);
	else
		fputs("Try 'mgpuctl --help'.\n", stderr);
	return MC_EXIT_USAGE;
}

static void print_help(void)
{
	size_t i;

	puts("Usage: mgpuctl [--sysfs-root DIR] [--pci-dump FILE] COMMAND [ARGS]\n"
	     "\n"
	     "Administer the GPUs that mgpu shares among VMs, and their vGPUs.\n"
	     "\n"
	     "Commands:");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		printf("  %s\n", cmds[i].usage);
	puts("\n"
	     "Options:\n"
	     "  --sysfs-root DIR  sysfs root (default: $MGPU_SYSFS_ROOT, else /sys)\n"
	     "  --pci-dump FILE   read PCI devices from an 'lspci -x' dump ($MGPU_PCI_DUMP)\n"
	     "  -h, --help        this help; after a command, the command's help\n"
	     "  -V, --version     print the version\n"
	     "\n"
	     "Exit status: 0 success, 1 the system refused or failed, 2 usage error.\n"
	     "See mgpuctl(8).");
}

static void print_cmd_help(const struct mc_cmd *c)
{
	printf("Usage: mgpuctl %s\n\n%s", c->usage, c->help);
}

static const struct mc_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int parse_number_opts(struct cli *c, int opt, const char *arg)
{
	char *end;

	if (opt == OPT_INTERVAL) {
		errno = 0;
		c->o.interval = strtod(arg, &end);
		if (errno || *end || !(c->o.interval >= 0.01 && c->o.interval <= 3600))
			return mc_usage_error(NULL, "--interval %s: not 0.01..3600 seconds", arg);
		c->given |= O_INTERVAL;
	} else {
		errno = 0;
		c->o.count = strtol(arg, &end, 10);
		if (errno || *end || c->o.count < 1)
			return mc_usage_error(NULL, "-n %s: not a positive number", arg);
		c->given |= O_COUNT;
	}
	return 0;
}

/* One getopt pass; @stop stops at the first non-option (the command). */
static int parse_opts(struct cli *c, int argc, char **argv, bool stop)
{
	int opt;

	optind = 0;	/* glibc: start a fresh scan */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, stop ? "+:hVn:" : ":hVn:", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_ROOT:
			c->root = optarg;
			break;
		case OPT_DUMP:
			c->dump = optarg;
			break;
		case OPT_JSON:
			c->o.json = true;
			c->given |= O_JSON;
			break;
		case OPT_PROM:
			c->o.prometheus = true;
			c->given |= O_PROM;
			break;
		case OPT_ONCE:
			c->o.count = 1;
			c->given |= O_ONCE;
			break;
		case OPT_PLAIN:
			c->o.plain = true;
			c->given |= O_PLAIN;
			break;
		case OPT_INTERVAL:
		case 'n':
			if (parse_number_opts(c, opt, optarg))
				return MC_EXIT_USAGE;
			break;
		case 'h':
			c->help = true;
			break;
		case 'V':
			c->version = true;
			break;
		case ':':
			return mc_usage_error(NULL, "option %s needs a value", argv[optind - 1]);
		default:
			return mc_usage_error(NULL, "unknown option %s", argv[optind - 1]);
		}
	}
	return 0;
}

static int check_opts(const struct cli *c, const struct mc_cmd *cmd)
{
	static const char * const names[] = {
		"--json", "--prometheus", "--once", "--interval", "-n", "--plain"
	};
	unsigned int bad = c->given & ~cmd->opts;
	int i;

	for (i = 0; bad; i++, bad >>= 1)
		if (bad & 1)
			return mc_usage_error(cmd->name, "%s does not apply to '%s'", names[i],
					      cmd->name);
	if (c->o.json && c->o.prometheus)
		return mc_usage_error(cmd->name, "--json and --prometheus exclude each other");
	if (c->o.argc < cmd->min_args)
		return mc_usage_error(cmd->name, "'%s' needs more arguments: %s", cmd->name,
				      cmd->usage);
	if (cmd->max_args >= 0 && c->o.argc > cmd->max_args)
		return mc_usage_error(cmd->name, "too many arguments for '%s': %s", cmd->name,
				      cmd->usage);
	return 0;
}

static int run_help(const struct cli *c)
{
	const struct mc_cmd *cmd;

	if (!c->o.argc) {
		print_help();
		return MC_EXIT_OK;
	}
	cmd = find_cmd(c->o.argv[0]);
	if (!cmd)
		return mc_usage_error(NULL, "unknown command '%s'", c->o.argv[0]);
	print_cmd_help(cmd);
	return MC_EXIT_OK;
}

/* The root must be a directory; the dump, if any, is libpci's to read. */
static int apply_env(const struct cli *c)
{
	struct stat st;
	int ret;

	ret = mc_set_root(c->root);
	if (ret) {
		mc_err_errno(-ret, "sysfs root %s", c->root);
		return MC_EXIT_USAGE;
	}
	if (stat(c->root, &st)) {
		mc_err_errno(errno, "sysfs root %s", c->root);
		return MC_EXIT_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		mc_err_errno(ENOTDIR, "sysfs root %s", c->root);
		return MC_EXIT_FAIL;
	}
	if (c->dump)
		mc_pci_set_dump(c->dump);
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	struct cli c = { .o.interval = 1.0, .root = "/sys" };
	int ret;

	c.root = env_or("MGPU_SYSFS_ROOT", c.root);
	c.dump = env_or("MGPU_PCI_DUMP", NULL);
	ret = parse_opts(&c, argc, argv, true);
	if (ret)
		return ret;
	if (c.version) {
		puts("mgpuctl " MC_VERSION);
		return MC_EXIT_OK;
	}
	if (optind == argc) {
		if (c.help) {
			print_help();
			return MC_EXIT_OK;
		}
		return mc_usage_error(NULL, "no command given");
	}
	cur_cmd = find_cmd(argv[optind]);
	if (!cur_cmd)
		return mc_usage_error(NULL, "unknown command '%s'", argv[optind]);
	argc -= optind;
	argv += optind;
	ret = parse_opts(&c, argc, argv, false);
	if (ret)
		return ret;
	c.o.argc = argc - optind;
	c.o.argv = argv + optind;
	if (c.version) {
		puts("mgpuctl " MC_VERSION);
		return MC_EXIT_OK;
	}
	if (c.help) {
		print_cmd_help(cur_cmd);
		return MC_EXIT_OK;
	}
	ret = check_opts(&c, cur_cmd);
	if (ret)
		return ret;
	if (!cur_cmd->run)
		return run_help(&c);
	ret = apply_env(&c);
	if (ret)
		return ret;
	return cur_cmd->run(&c.o);
}
