"""`make bench` builds its data set through the services (programs, Series, coins): a change to
their signatures must not break the benchmark unnoticed. The smallest data set, on SQLite."""

from __future__ import annotations

from bench.dataset import generate

from reelpay.migrate import upgrade_async


async def test_the_bench_data_set_builds_through_todays_services(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    await upgrade_async(url)

    manifest = await generate(url, scale=0.005)

    assert manifest.page_buyers > 0 and manifest.sale_series_ids and manifest.fan_tokens
    assert manifest.counts["creators"] == manifest.creators + 1
