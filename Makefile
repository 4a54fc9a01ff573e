# mlpipe: small C programs that run machine-learning pipelines from the shell.
#
#   make            build every program into bin/
#   make check      install missing packages, build, run the whole suite
#   make check SANITIZE=1   the same, built with ASan and UBSan (in build/san)
#   make check VALGRIND=1   the unit tests and the per-program suites under
#                           valgrind memcheck (in build/vg; about 15 minutes)
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
CXX     ?= g++
WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CSTD    = -std=c11 -D_GNU_SOURCE -pthread
# C++ only for the C face of a C++ library (common/*.cc)
CXXWARN = -Wall -Wextra -Wpedantic -Wshadow -Wmissing-declarations
CXXSTD  = -std=c++17 -D_GNU_SOURCE -pthread -fno-exceptions -fno-rtti
OPT     ?= -O2 -g
CPPFLAGS += -Icommon
LDLIBS  = -lcsv -larchive -lz -lcrypto -ljq -lxxhash -ldouble-conversion -lstdc++ -lm -pthread
# the learning libraries, only for the programs that learn or score
MODEL_LIBS = -llinear -lxgboost
LDLIBS_ml-train = $(MODEL_LIBS)
LDLIBS_ml-predict = $(MODEL_LIBS)
LDLIBS_ml-eval = $(MODEL_LIBS)

ifeq ($(SANITIZE),1)
BUILD   = build/san
OPT     = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
ifeq ($(VALGRIND),1)
$(error SANITIZE=1 and VALGRIND=1 do not mix: valgrind cannot run ASan binaries)
endif
else ifeq ($(VALGRIND),1)
# -O1: stacks that follow the source; valgrind needs no frame pointers
BUILD   = build/vg
OPT     = -O1 -g
else
BUILD   = build/rel
endif
ifeq ($(WERROR),1)
WARN    += -Werror
CXXWARN += -Werror
endif
CFLAGS  ?=
CXXFLAGS ?=
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(CFLAGS)
ALL_CXXFLAGS = $(CXXSTD) $(CXXWARN) $(OPT) $(CXXFLAGS)

BIN     = $(BUILD)/bin
PROGRAMS = ml-ingest ml-split ml-validate ml-stats ml-drift ml-train ml-predict ml-eval ml-promote ml-log ml-report
COMMON_SRC = $(wildcard common/*.c)
COMMON_CXX_SRC = $(wildcard common/*.cc)
COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o) $(COMMON_CXX_SRC:%.cc=$(BUILD)/%.o)
LIB     = $(BUILD)/libmlpipe.a
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Debian packages the build, the tests and the benchmarks need.
DEPS_PKGS = gcc g++ clang make pkg-config libcsv-dev libjq-dev libarchive-dev zlib1g-dev libssl-dev libxxhash-dev \
	libdouble-conversion-dev \
	jq bats bats-assert bats-support python3 python3-numpy python3-scipy gzip bzip2 xz-utils zstd zip \
	mandoc zsh fish liblinear-dev libxgboost-dev liblinear-tools xgboost python3-sklearn python3-pandas python3-xgboost \
	chromium python3-html5lib time valgrind

ifeq ($(SANITIZE),1)
all: $(PROGRAMS:%=$(BIN)/%)
else ifeq ($(VALGRIND),1)
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

$(BUILD)/%.o: %.cc $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(ALL_CXXFLAGS) -c -o $@ $<

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
ifeq ($(VALGRIND),1)
	@$(VALGRIND_RUN)
else
	@ML_BIN=$(CURDIR)/$(BIN) ML_UNIT=$(CURDIR)/$(BUILD)/tests tests/run
endif

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

# --- fuzzing (tests/fuzz/, docs/RELIABILITY.md) -------------------------------
#   make fuzz FUZZ_SECONDS=N   build the libFuzzer harnesses into build/fuzz and
#                              run each for N seconds (default 60) on its seed
#                              corpus; fails when one crashes (the input is
#                              left in build/fuzz/crashes/NAME/).  -j2 runs two
#                              at a time.
#   make fuzz-build            only build them
#   make fuzz-regress          replay tests/fuzz/regress/NAME/* (no fuzzing)
FUZZ_CC      = clang
FUZZ_CXX     = clang++
FUZZ_SECONDS ?= 60
FUZZ_DIR     = build/fuzz
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  = $(CSTD) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	-Wall -Wextra -Wno-unused-function -Wno-unused-parameter
FUZZ_CXXFLAGS = $(CXXSTD) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	-Wall -Wextra
FUZZ_CPPFLAGS = -Icommon -Icmd/ml-ingest -Itests/fuzz
FUZZ_NAMES   = rec rec_vs_jq csv archive schema profile bundle jq
FUZZ_LIB     = $(FUZZ_DIR)/libmlpipe.a
FUZZ_COMMON_OBJ = $(COMMON_SRC:%.c=$(FUZZ_DIR)/obj/%.o) $(COMMON_CXX_SRC:%.cc=$(FUZZ_DIR)/obj/%.o)
FUZZ_INGEST_OBJ = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(filter-out cmd/ml-ingest/main.c,$(wildcard cmd/ml-ingest/*.c)))
# the harness's own source, and its -max_len
FUZZ_SRC_rec = rec
FUZZ_SRC_rec_vs_jq = rec_vs_jq
FUZZ_SRC_csv = ingest_csv
FUZZ_SRC_archive = ingest_archive
FUZZ_SRC_schema = schema
FUZZ_SRC_profile = profile
FUZZ_SRC_bundle = bundle
FUZZ_SRC_jq = jq
FUZZ_MAXLEN_rec = 8192
FUZZ_MAXLEN_rec_vs_jq = 4096
FUZZ_MAXLEN_csv = 4096
FUZZ_MAXLEN_archive = 65536
FUZZ_MAXLEN_schema = 8192
FUZZ_MAXLEN_profile = 32768
FUZZ_MAXLEN_bundle = 65536
FUZZ_MAXLEN_jq = 1024
FUZZ_OPTS    = -timeout=20 -rss_limit_mb=2560 -print_final_stats=1
FUZZ_HDRS    = $(wildcard common/*.h) $(wildcard cmd/ml-ingest/*.h)
FUZZ_HARNESS_OBJ = $(foreach n,$(FUZZ_NAMES),$(FUZZ_DIR)/obj/tests/fuzz/fuzz_$(FUZZ_SRC_$(n)).o)
$(FUZZ_HARNESS_OBJ): $(wildcard tests/fuzz/*.h)

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/obj/%.o: %.cc $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CPPFLAGS) $(FUZZ_CXXFLAGS) -c -o $@ $<

# ml-ingest's two fronts are one source built twice
$(FUZZ_DIR)/obj/tests/fuzz/fuzz_ingest_csv.o: tests/fuzz/fuzz_ingest.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -DFUZZ_INGEST_CSV -c -o $@ $<
$(FUZZ_DIR)/obj/tests/fuzz/fuzz_ingest_archive.o: tests/fuzz/fuzz_ingest.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -DFUZZ_INGEST_ARCHIVE -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_csv $(FUZZ_DIR)/fuzz_archive: $(FUZZ_INGEST_OBJ)
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$$(FUZZ_SRC_$$*).o $(FUZZ_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $(filter %.o,$^) $(FUZZ_LIB) $(LDLIBS)

fuzz-build: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

fuzz: fuzz-build $(FUZZ_NAMES:%=fuzz-run-%)
	@echo "make fuzz: every harness ran $(FUZZ_SECONDS)s without a crash (logs in $(FUZZ_DIR)/logs)"

# The working corpus (build/fuzz/corpus/NAME) takes what the run finds; the
# seeds in tests/fuzz/corpus/NAME are only read.
fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/crashes/$* $(FUZZ_DIR)/logs
	@echo "fuzz $*: $(FUZZ_SECONDS)s, -max_len=$(FUZZ_MAXLEN_$*)"
	@if $(FUZZ_DIR)/fuzz_$* $(FUZZ_OPTS) -max_len=$(FUZZ_MAXLEN_$*) \
		-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/crashes/$*/ \
		$(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$* > $(FUZZ_DIR)/logs/$*.log 2>&1; then \
		grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_DIR)/logs/$*.log | sed 's/^/fuzz $*: /'; \
	else \
		echo "fuzz $*: CRASH (see $(FUZZ_DIR)/logs/$*.log, input in $(FUZZ_DIR)/crashes/$*/)"; \
		grep -E 'ERROR|FUZZ FAILURE|SUMMARY|Test unit written' $(FUZZ_DIR)/logs/$*.log | head -5; \
		exit 1; \
	fi

# Replays every reproducer once through its harness: seconds, no fuzzing.
fuzz-regress: fuzz-build
	@fail=0; for n in $(FUZZ_NAMES); do \
		set -- tests/fuzz/regress/$$n/*; [ -e "$$1" ] || continue; \
		if $(FUZZ_DIR)/fuzz_$$n -timeout=10 "$$@" > $(FUZZ_DIR)/regress-$$n.log 2>&1; then \
			echo "fuzz-regress $$n: $$# input(s) pass"; \
		else \
			echo "fuzz-regress $$n: FAIL (see $(FUZZ_DIR)/regress-$$n.log)"; fail=1; \
		fi; \
	done; exit $$fail

.PHONY: fuzz fuzz-build fuzz-regress

# --- valgrind (tests/valgrind/, docs/RELIABILITY.md) ---------------------------
#   make check VALGRIND=1   build into build/vg (-O1 -g), then run the unit
#                           tests and the bats suites of VALGRIND_SUITES with
#                           every process under valgrind memcheck; fails when
#                           a process's log (build/vg/valgrind/logs/) holds an
#                           error.  About 15 minutes on 2 busy cores.
#   make check VALGRIND=1 VALGRIND_SKIP_UNITS= VALGRIND_SUITES='ml-*.bats demo.bats'
#                           the deep run: every unit test and every program's
#                           own suite (about 90 minutes)
# A process costs ~2 s under valgrind, so the suites of CI's pass are the
# demo (the continuous-training loop: every program but ml-predict, on real
# batches), ml-predict's and ml-report's.  test_kll takes 9 minutes alone.
# hostile.bats and faults.bats cannot run under valgrind (memory ceilings,
# GNU time's peak memory, timing).
VALGRIND_SUITES ?= demo.bats ml-predict.bats ml-report.bats
VALGRIND_SKIP_UNITS ?= test_kll
VG_DIR = $(BUILD)/valgrind
VG_UNITS = $(filter-out $(VALGRIND_SKIP_UNITS:%=$(BUILD)/tests/%),$(UNIT_BIN))

# check's recipe under VALGRIND=1.  The wrappers and logs are made afresh,
# so the logs are this run's only.
VALGRIND_RUN = rm -rf $(VG_DIR) && \
	tests/valgrind/wrap $(VG_DIR)/bin $(VG_DIR)/logs $(PROGRAMS:%=$(BIN)/%) && \
	tests/valgrind/wrap $(VG_DIR)/unit $(VG_DIR)/logs $(VG_UNITS) && \
	echo "\# valgrind: suites $(VALGRIND_SUITES); unit tests not run: $(or $(VALGRIND_SKIP_UNITS),none)" && \
	ML_VALGRIND=1 ML_VALGRIND_LOGS=$(CURDIR)/$(VG_DIR)/logs ML_SUITES="$(VALGRIND_SUITES)" \
	ML_BIN=$(CURDIR)/$(VG_DIR)/bin ML_UNIT=$(CURDIR)/$(VG_DIR)/unit tests/run
