# GeneCoding — make help lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := all
SWIFT ?= swift
THREADS ?= 2
# Where GUE lives; a user points this at their own download.
GUE_DIR ?= $(abspath ../shared/data/GUE)
export GUE_DIR

.PHONY: help deps build test all
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-26s %s\n", $$1, $$2}'

deps: ## install the system packages (OpenBLAS, gnuplot) when missing
	@bash scripts/install-deps.sh

build: deps ## build the library, the command line and the chapters (release)
	$(SWIFT) build -c release

test: deps ## run the test suite (real-data tests run when GUE_DIR exists)
	$(SWIFT) test -c release -Xswiftc -enable-testing

all: build ## regenerate every report (reusing stored results)
