# mlpipe: small C programs that run machine-learning pipelines from the shell.
#
#   make            build every program into bin/
#   make check      install missing packages, build, run the whole suite
#   make check SANITIZE=1   the same, built with ASan and UBSan (in build/san)
#   make demo       a short pipeline on generated data
#   make deps       install missing Debian packages (apt-get)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench      the benchmarks of bench/ (a few minutes; never part of check)

PREFIX  ?= /usr/local
BINDIR_INSTALL = $(DESTDIR)$(PREFIX)/bin
MANDIR  = $(DESTDIR)$(PREFIX)/share/man
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d

CC      ?= cc
WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CSTD    = -std=c11 -D_GNU_SOURCE -pthread
OPT     ?= -O2 -g
CPPFLAGS += -Icommon
LDLIBS  = -lcsv -larchive -lcrypto -ljq -lxxhash -lm -pthread
# the learning libraries, only for the programs that learn or score
MODEL_LIBS = -llinear -lxgboost
LDLIBS_ml-train = $(MODEL_LIBS)
LDLIBS_ml-predict = $(MODEL_LIBS)
LDLIBS_ml-eval = $(MODEL_LIBS)

ifeq ($(SANITIZE),1)
BUILD   = build/san
OPT     = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
BUILD   = build/rel
endif
ifeq ($(WERROR),1)
WARN    += -Werror
endif
CFLAGS  ?=
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(CFLAGS)

BIN     = $(BUILD)/bin
PROGRAMS = ml-ingest ml-split ml-validate ml-stats ml-drift ml-train ml-predict ml-eval ml-promote ml-log ml-report
COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIB     = $(BUILD)/libmlpipe.a
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Debian packages the build, the tests and the benchmarks need.
DEPS_PKGS = gcc make pkg-config libcsv-dev libjq-dev libarchive-dev libssl-dev libxxhash-dev \
	jq bats bats-assert bats-support python3 python3-numpy python3-scipy gzip bzip2 xz-utils zstd zip \
	mandoc zsh fish liblinear-dev libxgboost-dev liblinear-tools xgboost python3-sklearn python3-pandas python3-xgboost \
	chromium python3-html5lib

ifeq ($(SANITIZE),1)
all: $(PROGRAMS:%=$(BIN)/%)
else
all: $(PROGRAMS:%=$(BIN)/%) bin
endif

# bin/ is where people look; it points at the release build only.
bin: $(PROGRAMS:%=build/rel/bin/%)
	@mkdir -p bin
	@for p in $(PROGRAMS); do ln -sf ../build/rel/bin/$$p bin/$$p; done

$(BUILD)/%.o: %.c $(wildcard common/*.h) $(wildcard cmd/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BIN)/%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard cmd/$$*/*.c))) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS) $(LDLIBS_$*)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) $(MODEL_LIBS)

deps:
	@missing=; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

units: $(UNIT_BIN)

check: deps all units
	@ML_BIN=$(CURDIR)/$(BIN) ML_UNIT=$(CURDIR)/$(BUILD)/tests tests/run

demo: deps all
	@sh examples/demo.sh

bench: all
	@sh bench/run.sh
	@sh bench/stats.sh
	@sh bench/validate.sh
	@sh bench/train.sh
	@sh bench/eval.sh
	@sh bench/report.sh

install: all
	install -d $(BINDIR_INSTALL) $(MANDIR)/man1 $(MANDIR)/man7 $(BASHCOMPDIR) $(ZSHCOMPDIR) $(FISHCOMPDIR)
	for p in $(PROGRAMS); do install -m 755 $(BIN)/$$p $(BINDIR_INSTALL)/$$p; done
	install -m 644 man/*.1 $(MANDIR)/man1/
	install -m 644 man/*.7 $(MANDIR)/man7/
	for p in $(PROGRAMS); do install -m 644 completions/bash/$$p $(BASHCOMPDIR)/$$p; done
	install -m 644 completions/zsh/_* $(ZSHCOMPDIR)/
	install -m 644 completions/fish/*.fish $(FISHCOMPDIR)/

clean:
	rm -rf build bin

.PHONY: all bin deps units check demo bench install clean

# keep the objects of pattern chains: relinking must not mean recompiling
.SECONDARY:
