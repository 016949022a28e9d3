# GeneCoding — `make help` lists the targets.
#
#   make            regenerate every report at the default profile, reusing stored results
#   make test       run the test suite
#   make smoke      every chapter end to end at the smoke profile, into build/smoke/ (CI runs it)
#   make PROFILE=paper   the paper's scale, into build/paper/ (for big machines)
#
# Results are stored per run under results/ and reused: rerunning a chapter trains only what is
# missing, so a make killed halfway and restarted finishes only what is left.
SHELL := /bin/bash
.DEFAULT_GOAL := all
SWIFT ?= swift
PROFILE ?= default
# Where GUE lives; point it at your own download: make GUE_DIR=/data/GUE
GUE_DIR ?= $(abspath ../shared/data/GUE)
export GUE_DIR

ifeq ($(PROFILE),default)
OUT := .
else
OUT := build/$(PROFILE)
endif
RESULTS := $(OUT)/results
REPORTS := $(OUT)/reports
FIGURES := $(OUT)/figures
BIN := .build/release
CHAPTER_ARGS = --profile $(PROFILE) --results $(RESULTS) --reports $(REPORTS) --figures $(FIGURES)
# In this order: chapters 1-3 say beside each verdict whether chapter 5 finds it changes with scale
# (reports/05-scale.json), and chapter 4 reads chapter 1's best k-mer (reports/01-tokenization.json).
CHAPTERS := scale tokenization position-encodings depth open-questions

.PHONY: help all deps build test smoke bench report figures check-data slurm-check clean clean-results $(addprefix chapter-,$(CHAPTERS))

help: ## list the targets
	@echo "GeneCoding make targets (PROFILE=$(PROFILE), GUE_DIR=$(GUE_DIR)):"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:[^#]*## /\t/' | awk -F'\t' '{printf "  %-28s %s\n", $$1, $$2}'

all: report ## every chapter, its figures and the REPORT.md index (default profile, reusing results)

deps: ## install the system packages (OpenBLAS, gnuplot) when missing
	@bash scripts/install-deps.sh

build: deps ## build the library, the command line and the chapters (release)
	$(SWIFT) build -c release

test: deps ## run the test suite (real-data tests run when GUE_DIR exists)
	$(SWIFT) test -c release -Xswiftc -enable-testing

check-data: ## check that GUE_DIR looks like GUE: <group>/<task>/{train,dev,test}.csv
	@bash scripts/check-data.sh "$(GUE_DIR)"

chapter-tokenization: build check-data ## chapter 1: k-mers against BPE (the paper's tokenization table)
	$(BIN)/Chapter01Tokenization $(CHAPTER_ARGS)
	@$(MAKE) --no-print-directory figures PROFILE=$(PROFILE)

chapter-position-encodings: build check-data ## chapter 2: sinusoidal, ALiBi, RoPE (+ learned, none); extrapolation
	$(BIN)/Chapter02PositionEncodings $(CHAPTER_ARGS)
	@$(MAKE) --no-print-directory figures PROFILE=$(PROFILE)

chapter-depth: build check-data ## chapter 3: 3, 6, 12, 24 layers; overfitting curves
	$(BIN)/Chapter03Depth $(CHAPTER_ARGS)
	@$(MAKE) --no-print-directory figures PROFILE=$(PROFILE)

chapter-open-questions: build check-data ## chapter 4: vocabulary size, 10 kbp sequences, pretraining, decoders, motifs
	$(BIN)/Chapter04OpenQuestions $(CHAPTER_ARGS)
	@$(MAKE) --no-print-directory figures PROFILE=$(PROFILE)

chapter-scale: build check-data ## chapter 5: where the verdicts hold as the data grows (1k-16k sequences), and with width
	$(BIN)/Chapter05Scale $(CHAPTER_ARGS)
	@$(MAKE) --no-print-directory figures PROFILE=$(PROFILE)

# Every figure is data (.tsv) plus a gnuplot script (.gp); SVG and PNG are rendered from them only
# when the script or its data changed in content since the last rendering (figures/.rendered).
figures: ## render SVG and PNG for every figure whose data or script changed
	@bash scripts/render-figures.sh $(FIGURES)

report: $(addprefix chapter-,$(CHAPTERS)) ## the REPORT.md index: profile, training time, verdicts, links
	$(BIN)/genecoding report --reports $(REPORTS) --output $(OUT)/REPORT.md

smoke: ## every chapter end to end at the smoke profile (a few minutes), into build/smoke/
	@$(MAKE) --no-print-directory report PROFILE=smoke

bench: build ## measure the engine, the tokenizer, PyTorch and HF tokenizers; writes bench/
	$(BIN)/genecoding bench --threads 2 --seconds 8 --rounds 5 --python "$$(bash scripts/python-env.sh)"

slurm-check: build check-data ## chapter 1's smoke grid through a private one-node Slurm started here, rendered from the store after
	BIN=$(BIN) GUE_DIR=$(GUE_DIR) bash scripts/slurm-check.sh

.PHONY: interop-check
interop-check: build ## tiny models of every encoding through genecoding predict, PyTorch (scripts/genecoding_torch.py), HF tokenizers and transformers; makes build/interop-venv once
	BIN=$(BIN)/genecoding GUE_DIR=$(GUE_DIR) bash scripts/interop-check.sh

.PHONY: paper-plan
paper-plan: build check-data ## the README's paper-scale plan: every chapter's grid at PROFILE=paper planned by genecoding grid plan (nothing trained)
	GUE_DIR=$(GUE_DIR) bash scripts/readme_paper_plan.sh

.PHONY: repro-check
repro-check: build check-data ## train 10 committed runs again (about a minute) and check they come out the same bit for bit
	$(BIN)/genecoding reproduce --results $(RESULTS) --sample 10

.PHONY: kill-check
kill-check: build ## kill a small run with SIGKILL at random instants and while it finishes; its result must equal an uninterrupted run's
	BIN=$(BIN) bash scripts/kill-check.sh

clean: ## remove build products (keeps results)
	rm -rf .build build/smoke

clean-results: ## delete trained results of PROFILE (asks first)
	@read -p "Delete every stored result under $(RESULTS)? Training them again takes long. [y/N] " answer; \
	  [ "$$answer" = y ] && rm -rf $(RESULTS) && echo "deleted $(RESULTS)" || echo "kept $(RESULTS)"
