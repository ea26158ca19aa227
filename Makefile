# Two commands matter: `make demo` and `make test`. The rest are single stages of `make test`.
.PHONY: demo test units functional molecule matrix sanity lint docs benchmark venv

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

units functional molecule matrix sanity lint docs:
	bash scripts/test.sh $@

benchmark:
	bash scripts/benchmark.sh

venv:
	bash scripts/venv.sh
