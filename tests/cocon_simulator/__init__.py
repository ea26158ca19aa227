"""A stand-in for ECSS-10's CoCon console: a real SSH server with a stateful model.

Test fixture and demo backend of the ecss.callapi collection. Run it with
``python -m cocon_simulator --help``; drive it from tests with
``cocon_simulator.harness.Simulator``. See docs/simulator.md.
"""

PROMPT_NODE = "ds1@ecss1"
FOOTER_NODES = "ds1@ecss1 v.3.14.7.585"
