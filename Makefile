# SPDX-License-Identifier: GPL-2.0-only
# mgpu: the user-facing build. The kernel's kbuild reads ./Kbuild; this file drives it.
#
#   make                      build the modules for the newest installed 6.12 kernel
#   make KVER=<release>       ... or for another installed kernel (KDIR=<dir> also works)
#   make W=1                  with the kernel's extra warnings (and kernel-doc checks)
#   make MGPU_MODULES=mgpu_tmem_guest.o   only some of the modules
#   make install              modules_install into /lib/modules/<release>/updates
#   make deps                 install build and test dependencies (Debian packages)
#   make check [TIER=host|vm|qemu|guest] [KVER=...]   run the tests
#   make run                  the demo VM
#   make tools                mgpuctl and the demo's seat program, into build/userspace-tools
#   make install-tools        mgpuctl into $(PREFIX)/sbin, its man page into share/man/man8

ifneq ($(KDIR),)
KVER ?= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
endif
KVER ?= $(shell ls -1 /lib/modules 2>/dev/null | grep '^6\.12\.' | sort -V | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build

TOP   := $(abspath .)
BUILD := $(TOP)/build/$(KVER)
# Kernel sources are copied per kernel so 6.12 and 6.1 objects never mix.
SRCS  := Kbuild $(shell find mdev vfio-glue tmem include -name '*.[ch]' -o -name Kbuild 2>/dev/null)

.PHONY: all modules install modules_install clean deps check run selftests checkpatch ksft help bench \
	tools install-tools

all: modules

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

modules: $(BUILD)/mod/.synced
	@test -n "$(KVER)" -a -d "$(KDIR)" || { echo "no kernel headers: run 'make deps' or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(BUILD)/mod $(if $(MGPU_MODULES),MGPU_MODULES="$(MGPU_MODULES)") modules

$(BUILD)/mod/.synced: $(SRCS)
	@mkdir -p $(BUILD)/mod
	@cp -a --parents $(SRCS) $(BUILD)/mod/
	@touch $@

install modules_install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD)/mod INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

ksft:
	@scripts/linux-source.sh $(TOP)/build/linux-source

selftests: ksft
	$(MAKE) -C selftests O=$(TOP)/build/selftests KSFT=$(TOP)/build/linux-source/tools/testing/selftests

deps:
	@scripts/deps.sh

check: deps
	@scripts/check.sh $(if $(TIER),--tier $(TIER)) $(if $(filter command line,$(origin KVER)),--kver $(KVER))

run: deps
	@scripts/demo.sh

# make bench [KVER=...]: the benchmarks of bench/ in a test VM, printing ratios measured
# side by side; the output is kept in build/bench/bench-<release>.txt.
bench: deps modules ksft
	$(MAKE) -C bench O=$(TOP)/build/bench KVER=$(KVER) run

tools:
	$(MAKE) -C userspace-tools/mgpuctl O=$(TOP)/build/userspace-tools
	$(MAKE) -C userspace-tools/demo O=$(TOP)/build/userspace-tools

install-tools:
	$(MAKE) -C userspace-tools/mgpuctl O=$(TOP)/build/userspace-tools install

checkpatch: ksft
	@scripts/checkpatch.sh

clean:
	rm -rf build
