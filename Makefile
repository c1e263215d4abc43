# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
KIT     := demo-kit
# Debian packages the tests use for real: innoextract (Inno Setup media), tinyproxy and squid (with
# its basic_ncsa_auth helper; proxy tests), gnome-keyring + dbus (a real Secret Service), unzip
# (benchmark baseline), openssl (Windows-style PFX, the squid test's htpasswd), chromium (the served
# wizard, driven by playwright's Python client: no browser is downloaded).
APT_PKGS := innoextract tinyproxy squid gnome-keyring libsecret-tools dbus dbus-daemon unzip openssl chromium

# The media bench builds a real Inno Setup installer once (bench/inno_media.py: the npm compiler under
# wine, cached in ~/.cache/mabs-wizard-bench); wine32 needs the i386 architecture and must come from
# the main suite at the amd64 libraries' version (-t bookworm), as ../shared/fixtures/inno's script has
# it. npm is checked by command: one from elsewhere (NodeSource) is as good as Debian's.
BENCH_APT_PKGS := wine wine32:i386 wine64

.PHONY: run test fuzz bench bench-deps venv system-deps demo clean schema

$(BIN)/mabs-wizard: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,fleet,serve]'
	# Bytecode now, as an installed app has it (PYTHONDONTWRITEBYTECODE may be set here).
	$(BIN)/python -m compileall -q mabs_wizard screens
	touch $@

venv: $(BIN)/mabs-wizard

run: venv
	rm -rf $(KIT)
	$(BIN)/mabs-wizard demo $(KIT)
	$(BIN)/mabs-wizard run --answers $(KIT)/answers.yaml --output $(KIT)/out

demo: venv
	rm -rf $(KIT)
	$(BIN)/mabs-wizard demo $(KIT)

system-deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: system-deps venv
	$(BIN)/python -m pytest -q

# Long, random property tests (20x the examples); `make test` runs them derandomized.
fuzz: system-deps venv
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_answers_fuzz.py tests/test_vault_fuzz.py \
	  tests/test_path_input.py tests/test_media_units.py

bench-deps:
	@missing=""; for p in $(BENCH_APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for the bench:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  dpkg --print-foreign-architectures | grep -qx i386 || $$SUDO dpkg --add-architecture i386; \
	  $$SUDO apt-get update -qq || true; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends -t bookworm $$missing; \
	fi

bench: system-deps bench-deps venv
	@$(BIN)/python -m compileall -q mabs_wizard screens
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

schema: venv
	for k in answers manifest facts fleet; do $(BIN)/mabs-wizard schema $$k --write >/dev/null; done

clean:
	rm -rf $(VENV) $(KIT) .pytest_cache build *.egg-info
