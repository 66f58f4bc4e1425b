"""The mentions API and CSV export on a running platform fed by a replayed X stream."""

from __future__ import annotations

import csv
import io
import pytest
from tests.harness import API_TOKEN
from tests.mentions import replay


@pytest.fixture()
def fed(feed_platform):
    tweets = replay.stream(60, hours=6)
    tweets[-1]["text"] = "=HYPERLINK(\"http://evil\") #AcmeFail terrible refund delay"
    tweets[-2]["text"] = "@AcmeSupport Mi pedido lleva tres semanas sin llegar y nadie contesta mis correos"
    return feed_platform(tweets), tweets


def get(platform, path, token=API_TOKEN, **params):
    return platform.http.get(f"{platform.url}{path}", params=params, headers={"Authorization": f"Bearer {token}"},
                             timeout=10)


def test_feed_newest_first_with_author_sentiment_and_link(fed):
    platform, tweets = fed
    body = get(platform, "/api/mentions", limit=5).json()
    newest = body["mentions"][0]
    assert [m["external_id"] for m in body["mentions"]] == [t["id"] for t in reversed(tweets[-5:])]
    assert newest["network"] == "x" and newest["sentiment_label"] == "negative"
    assert newest["author"]["handle"] and newest["url"].startswith("https://x.com/")
    older = get(platform, "/api/mentions", limit=5, before=body["next_before"]).json()["mentions"]
    assert older[0]["external_id"] == tweets[-6]["id"]


def test_filters_narrow_the_feed(fed):
    platform, tweets = fed
    negative = get(platform, "/api/mentions", sentiment="negative", limit=200).json()["mentions"]
    assert negative and all(m["sentiment_label"] == "negative" for m in negative)
    assert get(platform, "/api/mentions", network="mastodon").json()["mentions"] == []
    found = get(platform, "/api/mentions", q="hyperlink").json()["mentions"]
    assert len(found) == 1
    assert get(platform, "/api/mentions", q="100%_").json()["mentions"] == []
    spanish = get(platform, "/api/mentions", language="es").json()["mentions"]
    assert [m["external_id"] for m in spanish] == [tweets[-2]["id"]] and spanish[0]["language"] == "es"
    assert spanish[0]["sentiment_label"] == "unscored"  # VADER reads English
    assert [m["external_id"] for m in get(platform, "/api/mentions", sentiment="unscored").json()["mentions"]] == \
        [tweets[-2]["id"]]


def test_stats_volume_terms_and_hashtags(fed):
    platform, _ = fed
    stats = get(platform, "/api/mentions/stats", hours=6).json()
    assert sum(stats["volume"]["by_network"]["x"]) == 60
    assert sum(sum(v) for v in stats["volume"]["by_sentiment"].values()) == 60
    assert len(stats["volume"]["starts"]) == len(stats["volume"]["by_network"]["x"])
    assert ["acmefail", 1] in stats["top"]["hashtags"]
    assert stats["top"]["terms"] and all(term not in ("the", "and") for term, _ in stats["top"]["terms"])
    assert stats["streams"] == ["mentions"]
    assert "es" in stats["languages"] and "en" in stats["languages"]


def test_csv_export_is_spreadsheet_safe(fed):
    platform, _ = fed
    response = get(platform, "/api/mentions.csv", hours=24)
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 60
    assert rows[0]["text"].startswith("'=HYPERLINK") and rows[0]["language"] == "en" and rows[1]["language"] == "es"


def test_api_refuses_without_token_and_bad_filters(fed):
    platform, _ = fed
    assert get(platform, "/api/mentions", token="wrong").status_code == 401
    assert get(platform, "/api/mentions.csv", token="").status_code == 401
    assert get(platform, "/api/mentions", sentiment="angry").status_code == 400
    assert get(platform, "/api/mentions/stats", hours="9999").status_code == 400
    refused = get(platform, "/api/mentions", language="es' OR 1=1")
    assert refused.status_code == 400 and refused.json()["field"] == "language"
    assert get(platform, "/api/mentions", before="yesterday").status_code == 400


def test_page_is_served_with_a_strict_policy(fed):
    platform, _ = fed
    page = platform.http.get(f"{platform.url}/mentions", timeout=10)
    assert page.status_code == 200 and "<svg id=\"chart-network\"" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert platform.http.get(f"{platform.url}/mentions/static/mentions.js", timeout=10).status_code == 200
    assert platform.http.get(f"{platform.url}/mentions/static/other.js", timeout=10).status_code == 404


def test_a_signed_in_operator_needs_no_token(feed_platform):
    from tests.dashboard.desk import dashboard_settings, sign_in

    platform = feed_platform(replay.stream(3, hours=1), dashboard=dashboard_settings())
    viewer = sign_in(platform.url, "viewer")
    assert len(viewer.get(f"{platform.url}/api/mentions", timeout=10).json()["mentions"]) == 3
    assert viewer.get(f"{platform.url}/api/mentions.csv", timeout=10).status_code == 200
    assert platform.http.get(f"{platform.url}/api/mentions", headers={"Authorization": ""},
                             timeout=10).status_code == 401
