"""Small command-line things: the tactics list, progress lines of tune and sensitivity."""

from __future__ import annotations

from negotiation_sim.cli import main
from negotiation_sim.tactics import ACCEPTANCE, OFFERING


def test_tactics_prints_every_description_whole(capsys):
    assert main(["tactics"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for registry in (OFFERING, ACCEPTANCE):
        for name, cls in registry.items():
            doc = " ".join((cls.__doc__ or "").split())
            assert f"{name} [" in text and doc in text, name
    assert ("Hold the demand until accumulated gap cost reaches a threshold, then offer the "
            "bottom line.") in text
    assert "- noise_krw_bn = 10 in [0, 1000] KRW bn: " in text
