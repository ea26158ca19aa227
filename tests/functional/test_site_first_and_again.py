"""site.yml's first run and its no-op re-run on one node (real nginx, the simulator): the short
scenario that make matrix runs on every ansible-core the collection supports."""

import os
import stat


def test_site_first_run_then_nothing_left_to_change(simulator, make_cluster):
    cluster = make_cluster(simulator)
    node = cluster.nodes[0]
    factory_certificate = node.served_sha256()

    first = cluster.run()
    assert first.rc == 0 and first.changed > 0, first
    state = simulator.state()
    assert state["csta"]["enabled"] is True
    for domain, client_id in (("biysk.local", "amocrm"), ("tomsk.local", "amocrm-tomsk")):
        settings = cluster.settings(domain)
        assert settings["api_key"] == state["domains"][domain]["integrations"][client_id]["key"]
        assert stat.S_IMODE(os.stat(os.path.join(cluster.settings_dir, domain + ".json")).st_mode) == 0o600
        assert settings["api_key"] not in first.output
    assert state["domains"]["biysk.local"]["aliases"]["240473"]["properties"]["api\\call\\enabled"] == "true"
    served = node.served_sha256()
    assert served != factory_certificate
    files = node.file_digests()

    again = cluster.run()
    assert again.rc == 0 and again.changed == 0, again
    assert node.served_sha256() == served and node.file_digests() == files
    assert simulator.state()["domains"] == state["domains"]

    # --tags tls renews certificates only: not one CoCon command (the validation always runs).
    sent = len(simulator.commands())
    tls_only = cluster.run(args=("--tags", "tls"))
    assert tls_only.rc == 0 and tls_only.changed == 0, tls_only
    assert "call_api_tls : " in tls_only.stdout and "widget_setup : CoCon |" not in tls_only.stdout, tls_only
    assert simulator.commands()[sent:] == [], simulator.commands()[sent:]
