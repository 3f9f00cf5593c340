# Every target creates .venv and installs on first use, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
# checkov pins boto3==1.35.49, which conflicts with requirements-dev.txt: it gets a venv of its own.
CHECKOV_VENV ?= .venv-checkov
STAGE ?=
ROLE ?= buyer
SELLER ?=
STAGES := local dev prod
export AWS_DEFAULT_REGION ?= eu-central-1

.PHONY: install run test test-fast token check-stage

install: $(VENV)/.installed

$(VENV)/.installed: requirements-uv.txt requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (set PYTHON=python3.11)"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-uv.txt
	$(UV) pip sync --quiet --python $(PY) --require-hashes requirements-dev.txt
	$(UV) pip install --quiet --python $(PY) --no-deps --no-build-isolation -e .
	touch $@

.PHONY: lock
lock: install  ## re-resolve every lock file (hashes included) from its .in file and print what changed
	$(PY) -m devstack.lock

run: install  ## moto server + demo sellers + chalice local on 127.0.0.1 (MOTO_PORT, API_PORT)
	$(PY) -m devstack run

test: install checkov-install browser  ## the whole suite: unit, integration (moto), end-to-end (HTTP against the local stack), browser (chromium), deploy (cfn-lint, checkov), tools
	$(PY) -m pytest

.PHONY: browser
browser: install  ## Debian's chromium for tests/browser/: apt-get installs it when missing; fails with one line below the minimum major version
	@$(PY) -m devstack.browser

test-fast: install  ## the unit tests: no moto, no subprocess, seconds (tests/unit, not marked slow)
	$(PY) -m pytest tests/unit -m "not slow"

.PHONY: checkov-install
checkov-install: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: requirements-checkov.txt | install
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(UV) pip sync --quiet --python $(CHECKOV_VENV)/bin/python --require-hashes requirements-checkov.txt
	touch $@

token: install  ## make token ROLE=seller SELLER=demo-chat (ROLE: buyer, seller, support, admin)
	@$(PY) -m devstack token --role $(ROLE) $(if $(SELLER),--seller $(SELLER))

check-stage:  # chalice silently falls back to defaults for an unknown stage: refuse a missing or unknown one here
	@test -n "$(STAGE)" || { echo "set STAGE to one of: $(STAGES)" >&2; exit 2; }
	@case " $(STAGES) " in *" $(STAGE) "*) ;; *) echo "unknown STAGE '$(STAGE)'; use one of: $(STAGES)" >&2; exit 2;; esac

.PHONY: contract
contract: install  ## regenerate docs/schemas/*.json and docs/openapi.json from the pydantic models and the routes
	$(PY) -m devstack.contract

.PHONY: support
support: install  ## the contact-support script against the running local stack: make support ARGS="recent --seller demo-none"
	@AWS_ENDPOINT_URL=http://127.0.0.1:$${MOTO_PORT:-5000} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
	  $(VENV)/bin/contact-support $(ARGS)

.PHONY: outbox
outbox: install  ## every e-mail sent through the running local stack's SES (moto on MOTO_PORT), one JSON object a line: from, to, subject, text
	@$(PY) -m devstack.outbox

.PHONY: package deploy
package: check-stage install  ## make package STAGE=prod -> out/sam.json + out/deployment.zip (no credentials needed)
	$(PY) infra/package.py --stage $(STAGE) --out out/$(STAGE)

# make deploy STAGE=dev BUCKET=<artefact bucket> JWT_PUBLIC_KEY_FILE=<idp public key .pem> FEEDBACK_KEY_FILE=<secret file>
#   RELAY_DOMAIN=<relay.example.com> [DEPLOY_PARAMS="Name=value ..."] [RELAY_TAKE_OVER=1]  (AWS CLI v2)
# After the stack: activates its SES receipt rule set (an account setting CloudFormation cannot change; docs/deploy-relay.md).
deploy: package
	@test -n "$(BUCKET)" || { echo "set BUCKET=<S3 bucket for the deployment package>" >&2; exit 2; }
	@test -f "$(JWT_PUBLIC_KEY_FILE)" || { echo "set JWT_PUBLIC_KEY_FILE=<PEM public key of the token issuer>" >&2; exit 2; }
	@test -f "$(FEEDBACK_KEY_FILE)" || { echo "set FEEDBACK_KEY_FILE=<file holding the feedback-token HMAC key, >= 32 characters>" >&2; exit 2; }
	@test -n "$(RELAY_DOMAIN)" || { echo "set RELAY_DOMAIN=<the masked e-mail relay's domain, e.g. relay.example.com>" >&2; exit 2; }
	aws cloudformation package --template-file out/$(STAGE)/sam.json --s3-bucket $(BUCKET) \
	  --output-template-file out/$(STAGE)/packaged.json --use-json
	aws cloudformation deploy --template-file out/$(STAGE)/packaged.json --stack-name contact-resolver-$(STAGE) \
	  --capabilities CAPABILITY_IAM \
	  --parameter-overrides "JwtPublicKey=$$(cat $(JWT_PUBLIC_KEY_FILE))" "FeedbackKey=$$(cat $(FEEDBACK_KEY_FILE))" "RelayDomain=$(RELAY_DOMAIN)" $(DEPLOY_PARAMS)
	$(MAKE) --no-print-directory relay-activate STAGE=$(STAGE)
	aws cloudformation describe-stacks --stack-name contact-resolver-$(STAGE) --query 'Stacks[0].Outputs' --output table

# SES receives through the one active receipt rule set of the account and region: make the stack's the active one.
# Another set already active (other domains' mail) is never replaced silently: RELAY_TAKE_OVER=1, or add our rule to it.
.PHONY: relay-activate
relay-activate: check-stage
	@rule_set=$$(aws cloudformation describe-stacks --stack-name contact-resolver-$(STAGE) \
	    --query "Stacks[0].Outputs[?OutputKey=='RelayReceiptRuleSetName'].OutputValue" --output text) || exit 1; \
	test -n "$$rule_set" && test "$$rule_set" != None || { echo "error: stack contact-resolver-$(STAGE) has no output RelayReceiptRuleSetName" >&2; exit 1; }; \
	active=$$(aws ses describe-active-receipt-rule-set --query 'Metadata.Name' --output text) || exit 1; \
	if [ "$$active" = "$$rule_set" ]; then \
	  echo "SES receipt rule set $$rule_set is active"; \
	elif [ -z "$$active" ] || [ "$$active" = None ] || [ "$(RELAY_TAKE_OVER)" = 1 ]; then \
	  aws ses set-active-receipt-rule-set --rule-set-name "$$rule_set" && echo "activated SES receipt rule set $$rule_set (was: $${active:-None})"; \
	else \
	  echo "error: SES receipt rule set $$active is active in this region, and an account has only one: the relay receives nothing yet." >&2; \
	  echo "  RELAY_TAKE_OVER=1 make relay-activate STAGE=$(STAGE) replaces it (its rules stop receiving), or copy rule $$rule_set-to-s3 into $$active (docs/deploy-relay.md)" >&2; \
	  exit 1; \
	fi

.PHONY: answer-digests
answer-digests: install  ## once after deploying the release that reads answers digests: make answer-digests TABLE=<AnswersTableName> (AWS CLI credentials)
	$(PY) infra/answer_digests.py --table $(or $(TABLE),answers)

.PHONY: escalations-backfill
escalations-backfill: install  ## once after deploying the release that records escalated_at: make escalations-backfill TABLE=<ConversationsTableName> (AWS CLI credentials)
	$(PY) infra/escalations_backfill.py --table $(or $(TABLE),conversations)

.PHONY: eval
eval: install  ## answer search quality: top-1 / top-3 hit rates of tests/data/answers_eval.jsonl on the demo corpus
	$(PY) -m devstack.answers_eval

.PHONY: bench
bench: install  ## side-by-side benchmark on one local moto server, targets beside figures (BENCH_ARGS=--quick; SAVE=1 writes bench/results.json); then answer search
	$(PY) bench/bench.py $(BENCH_ARGS) $(if $(SAVE),--save)
	$(PY) bench/search_bench.py $(BENCH_SEARCH_ARGS)

.PHONY: bench-search
bench-search: install  ## answer search per question on 10,000 answers, typo handling on (median, p99) and index build time
	$(PY) bench/search_bench.py $(BENCH_SEARCH_ARGS)

.PHONY: fuzz
fuzz: install  ## schemathesis against the served OpenAPI on the local stack, as buyer, seller and support
	$(PY) fuzz/run.py

.PHONY: lint
lint: install  ## locks match their .in files; ruff + mypy --strict; bandit on what ships; the import rule (docs/architecture.md)
	$(PY) -m devstack.lock --check
	$(PY) -m ruff check .
	$(PY) -m mypy chalicelib app.py devstack support_cli capacity infra bench/bench.py bench/search_bench.py fuzz/run.py
	$(PY) -m bandit --quiet --recursive app.py chalicelib
	$(VENV)/bin/lint-imports --no-cache

.PHONY: capacity capacity-counts
capacity: install  ## capacity, cost and busiest partition keys: make capacity ARGS="--taps-per-day 20000000 --peak-factor 8"
	$(PY) -m capacity $(ARGS)

capacity-counts: install  ## recount the AWS work per request (capacity/counts.json) after an intended change
	CAPACITY_WRITE_COUNTS=1 $(PY) -m pytest -q tests/tools/test_capacity_counts.py
