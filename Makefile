# xvip build. `make` builds build/xvipd, build/xvipctl and the BPF objects;
# `make test` installs missing packages, builds with ASan/UBSan into
# build/san and runs every test; `make demo` runs the failover lab.
BUILD ?= build
SAN ?= 0
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PREFIX ?= /usr/local
DESTDIR ?=
SYSTEMD_DIR ?= /etc/systemd/system
SYSCONFDIR ?= /etc
# 0: install the unit without enabling it (tests install into a scratch tree)
ENABLE ?= 1

PKGS := libbpf libnl-3.0 libnl-route-3.0 libmariadb libmicrohttpd libcurl libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
MARIADB_LIBS := $(shell pkg-config --libs libmariadb 2>/dev/null)

VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 \
	-Iinclude -Iuser -I$(BUILD) $(PKG_CFLAGS) -DXVIP_VERSION='"$(VERSION)"'
# witness.c: ZooKeeper's single-threaded C client (no pkg-config file)
LDLIBS := $(PKG_LIBS) -lelf -lz -lzookeeper_st
ifeq ($(SAN),1)
CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I. -Iinclude -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/lib/*.h) include/xvip.h include/xvip_watch.h

# Every user/*.c but the daemon's main is a module of libxvip.a; xvipd,
# xvipctl and the tests link the archive, so each pulls only the modules it
# uses (xvipctl has no VRRP, services or control server in it).
MAIN_SRCS := user/xvipd.c
LIB_SRCS := $(filter-out $(MAIN_SRCS),$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libxvip.a
HDRS := $(wildcard user/*.h) include/xvip.h include/xvip_watch.h $(BUILD)/xvip.skel.h \
	$(BUILD)/mysqld_watch.skel.h $(BUILD)/xvipd_life.skel.h

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPF_TEST_SRCS))

PROGS := $(BUILD)/xvipctl $(BUILD)/xvipd $(BUILD)/xvip-probe

# libFuzzer harnesses (tests/fuzz/): the library again, with clang and
# -fsanitize=fuzzer-no-link,address,undefined, under $(BUILD)/fuzz.
FUZZ_SECONDS ?= 30
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -Iuser -I$(BUILD) $(PKG_CFLAGS)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst user/%.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRCS))

.PHONY: all test test-build bench demo deps install uninstall clean vmlinux fuzz fuzz-build deb chaos
# man pages, made from docs/ (tools/mkman.sh): one source, no drift
MANS := $(BUILD)/man/xvipd.8 $(BUILD)/man/xvipctl.8 $(BUILD)/man/xvipd.conf.5
MANDIR ?= $(PREFIX)/share/man

all: $(BPF_OBJS) $(PROGS) $(MANS)

$(BUILD)/man/xvipd.conf.5: docs/configuration.md tools/mkman.sh
	@mkdir -p $(dir $@)
	XVIP_VERSION=$(VERSION) tools/mkman.sh $< xvipd.conf 5 \
		"configuration of xvipd (keepalived's dialect)" > $@.tmp && mv $@.tmp $@

$(BUILD)/man/xvipd.8: docs/xvipd.8.md tools/mkman.sh
	@mkdir -p $(dir $@)
	XVIP_VERSION=$(VERSION) tools/mkman.sh $< xvipd 8 \
		"VRRP virtual IP with an XDP data plane, for MySQL dual-master pairs" > $@.tmp && mv $@.tmp $@

$(BUILD)/man/xvipctl.8: docs/xvipctl.8.md tools/mkman.sh
	@mkdir -p $(dir $@)
	XVIP_VERSION=$(VERSION) tools/mkman.sh $< xvipctl 8 \
		"show and change xvipd's state and its data plane's maps" > $@.tmp && mv $@.tmp $@

$(BUILD) $(BUILD)/obj $(BUILD)/tests:
	mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o
	rm -f $@.tmp.o

$(BUILD)/xvip.skel.h: $(BUILD)/xvip.bpf.o
	$(BPFTOOL) gen skeleton $< name xvip_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/mysqld_watch.skel.h: $(BUILD)/mysqld_watch.bpf.o
	$(BPFTOOL) gen skeleton $< name mysqld_watch_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/xvipd_life.skel.h: $(BUILD)/xvipd_life.bpf.o
	$(BPFTOOL) gen skeleton $< name xvipd_life_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: user/%.c $(HDRS) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/xvipd: user/xvipd.c $(LIB) $(HDRS)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(BUILD)/xvipctl: tools/xvipctl.c $(LIB) $(HDRS)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(BUILD)/xvip-probe: tools/xvip-probe.c | $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@ $(MARIADB_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/bpf/%.c $(LIB) $(HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS) -lcmocka

test-build: all $(UNIT_BINS) $(BPF_TEST_BINS)

$(FUZZ_DIR)/obj:
	mkdir -p $@

$(FUZZ_DIR)/obj/%.o: user/%.c $(HDRS) | $(FUZZ_DIR)/obj
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libxvip.a: $(FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libxvip.a $(HDRS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_DIR)/libxvip.a -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Each harness for FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/);
# executions and coverage printed. make test runs it for 30 s each.
fuzz:
	tools/deps.sh
	$(MAKE) SAN=1 BUILD=build/san fuzz-build
	tools/fuzz.sh build/san/fuzz $(FUZZ_SECONDS)

# Tests run the sanitizer build. deps first, in its own make, so that the
# pkg-config flags above are read again once the packages are there.
test:
	tools/deps.sh
	$(MAKE) SAN=1 BUILD=build/san test-build fuzz-build
	tests/run.sh build/san

# Faults survived, the long run (tests/e2e/test_chaos.sh, CHAOS=full: a
# partition, 60 s of 20% VRRP loss, 40 link flaps, 10 kill -9 of xvipd in
# a promotion, 300 SIGHUPs, 200 switchovers) on the release build, as
# deployed; make test runs the short version on the sanitizer build.
chaos:
	tools/deps.sh
	$(MAKE) all
	CHAOS=full tests/e2e/test_chaos.sh $(abspath $(BUILD))

bench:
	tools/deps.sh bench
	$(MAKE) all
	tools/bench.sh $(BUILD)
	[ ! -x tools/bench_mysql.sh ] || tools/bench_mysql.sh $(BUILD)

demo:
	tools/deps.sh
	$(MAKE) all
	tools/demo.sh $(BUILD)

deps:
	tools/deps.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/xvip \
		$(DESTDIR)$(SYSTEMD_DIR)
	install -m 0755 $(BUILD)/xvipd $(DESTDIR)$(PREFIX)/sbin/xvipd
	install -m 0755 $(BUILD)/xvipctl $(DESTDIR)$(PREFIX)/bin/xvipctl
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/xvipd.conf.5 $(DESTDIR)$(MANDIR)/man5/xvipd.conf.5
	install -m 0644 $(BUILD)/man/xvipd.8 $(BUILD)/man/xvipctl.8 $(DESTDIR)$(MANDIR)/man8/
	@# an existing configuration is the operator's: never overwritten
	[ -e $(DESTDIR)$(SYSCONFDIR)/xvip/xvipd.conf ] || \
		install -m 0600 tools/xvipd.conf $(DESTDIR)$(SYSCONFDIR)/xvip/xvipd.conf
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		tools/xvipd.service > $(DESTDIR)$(SYSTEMD_DIR)/xvipd.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_DIR)/xvipd.service
	if [ "$(ENABLE)" = 1 ] && [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemctl daemon-reload && systemctl enable xvipd.service; fi

# A Debian package, xvip_VERSION_ARCH.deb in $(BUILD), built by debhelper
# (debian/) from a copy of the tree, then checked by lintian (debian/
# xvip.lintian-overrides says why each remaining tag stays).
DEB_SRC := $(BUILD)/deb-src
deb:
	tools/deps.sh
	rm -rf $(DEB_SRC) && mkdir -p $(DEB_SRC)/xvip
	tar --exclude-vcs --exclude=./build --exclude='./$(BUILD)' -cf - . | tar -C $(DEB_SRC)/xvip -xf -
	cd $(DEB_SRC)/xvip && dpkg-buildpackage -us -uc -b
	mv $(DEB_SRC)/xvip_*.deb $(BUILD)/
	lintian --fail-on error,warning --info $(BUILD)/xvip_*.deb

uninstall:
	-[ -d /run/systemd/system ] && systemctl disable --now xvipd.service
	rm -f $(DESTDIR)$(PREFIX)/sbin/xvipd $(DESTDIR)$(PREFIX)/bin/xvipctl \
		$(DESTDIR)$(SYSTEMD_DIR)/xvipd.service $(DESTDIR)$(MANDIR)/man5/xvipd.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/xvipd.8 $(DESTDIR)$(MANDIR)/man8/xvipctl.8

clean:
	rm -rf build
