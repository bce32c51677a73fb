# Qianliyan — reliability targets (issue 8). The everyday commands are in
# README.md (./scripts/test is what CI runs).
#
#   make chaos          the fault-injection suite, long version (~10 min); writes docs/reliability.md
#   make chaos-short    the same scenarios, short (what CI runs inside swift test)
#   make fuzz           libFuzzer over the decoder and the rule language, FUZZ_SECONDS each
#   make fuzz-props     the seeded property tests (CI runs them with fewer iterations)
#   make fuzz-merge     fold the inputs a fuzz run found into fuzz/corpus (minimised)
#   make soak           the bounded-memory soak benchmark; appends to Benchmarks/RESULTS.md
#
# Variables: SCRATCH (swift build folder), FUZZ_SECONDS, FUZZ_JOBS, SOAK_ARGS.

SWIFT        ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
SCRATCH      ?= .build
FUZZ_SECONDS ?= 300
FUZZ_JOBS    ?= 1
FUZZ_WORK    ?= $(CURDIR)/.build-fuzz-work
SOAK_ARGS    ?= --villages 2000 --days 1800

.PHONY: chaos chaos-short fuzz fuzz-build fuzz-props fuzz-merge soak

chaos:
	$(SWIFT) build --scratch-path $(SCRATCH) --build-tests
	QIANLIYAN_CHAOS=full QIANLIYAN_CHAOS_REPORT=docs/reliability.md \
	  $(SWIFT) test --scratch-path $(SCRATCH) --skip-build --filter ChaosTests

chaos-short:
	$(SWIFT) build --scratch-path $(SCRATCH) --build-tests
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build --filter ChaosTests

# swiftc's -sanitize=fuzzer links libFuzzer but (Swift 6.3, SwiftPM) leaves the code
# without coverage counters: the fuzzer would run blind ("no interesting inputs").
# -sanitize-coverage asks for them explicitly.
FUZZ_COVERAGE ?= -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table

fuzz-build:
	cd fuzz && $(SWIFT) build -c release --sanitize=fuzzer --sanitize=address --disable-dead-strip $(FUZZ_COVERAGE) 2>&1 | grep -v 'Cannot export local symbol'; \
	  test -x .build/release/FuzzDecoder -a -x .build/release/FuzzRules

# Each harness runs FUZZ_SECONDS over a working copy of its corpus (new inputs
# go to $(FUZZ_WORK), crashes to fuzz/artifacts/); any crash fails the target.
fuzz: fuzz-build
	mkdir -p $(FUZZ_WORK)/decoder $(FUZZ_WORK)/rules fuzz/artifacts
	fuzz/.build/release/FuzzDecoder $(FUZZ_WORK)/decoder fuzz/corpus/decoder -dict=fuzz/dict/json.dict \
	  -max_len=65536 -rss_limit_mb=2048 -max_total_time=$(FUZZ_SECONDS) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
	  -artifact_prefix=fuzz/artifacts/decoder- -print_final_stats=1
	fuzz/.build/release/FuzzRules $(FUZZ_WORK)/rules fuzz/corpus/rules -dict=fuzz/dict/rules.dict \
	  -max_len=16384 -rss_limit_mb=2048 -max_total_time=$(FUZZ_SECONDS) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
	  -artifact_prefix=fuzz/artifacts/rules- -print_final_stats=1

fuzz-merge: fuzz-build
	fuzz/.build/release/FuzzDecoder -merge=1 fuzz/corpus/decoder $(FUZZ_WORK)/decoder -max_len=65536
	fuzz/.build/release/FuzzRules -merge=1 fuzz/corpus/rules $(FUZZ_WORK)/rules -max_len=16384

fuzz-props:
	QIANLIYAN_FUZZ_ITERATIONS=200000 $(SWIFT) test --scratch-path $(SCRATCH) --filter 'DecoderFuzzTests|ParserFuzzTests'

soak:
	cd Benchmarks/soak && $(SWIFT) build -c release
	Benchmarks/soak/.build/release/soak $(SOAK_ARGS) --csv Benchmarks/soak/last-run.csv --results Benchmarks/RESULTS.md
