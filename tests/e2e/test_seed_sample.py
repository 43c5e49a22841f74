"""Served with fixtures/seed-sample.json, the seed request answers exactly the seed page's sample."""

from __future__ import annotations

import base64
from uuid import UUID

from conftest import EmClient

from e2e.seed_page import SEED_BASE, attribute_orders, canonical, parse, ref_names, seed_sample_xml

SEED_URL = f"{SEED_BASE}/api/cloud/vmReplicaPoints"


def seed_request(client: EmClient) -> bytes:
    """Log on, then send the seed's request: `GET …/api/cloud/vmReplicaPoints` with only the
    `X-RestSvcSessionId` header (no cookie); returns the body."""
    token = client.logon()
    client.cookies.clear()
    response = client.get(SEED_URL, headers={"X-RestSvcSessionId": token})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return response.content


def test_seed_request_reproduces_the_sample_response(seed_client: EmClient) -> None:
    """Same elements, attributes, values and order as the page's sample (canonical XML)."""
    assert canonical(seed_request(seed_client)) == canonical(seed_sample_xml())


def test_seed_response_writes_attributes_in_the_samples_order(seed_client: EmClient) -> None:
    """Beyond canonical equality: each element lists its attributes as the sample does."""
    assert attribute_orders(seed_request(seed_client)) == attribute_orders(seed_sample_xml())


def test_seed_response_lists_the_six_names_in_order(seed_client: EmClient) -> None:
    """The six points' names, in the page's order (srv39@2015-12-25 20:00:47 first)."""
    expected = ref_names(seed_sample_xml())
    assert len(expected) == 6
    assert expected[0] == "srv39@2015-12-25 20:00:47"
    assert ref_names(seed_request(seed_client)) == expected


def test_seed_request_is_authorised_by_the_session_header_alone(seed_client: EmClient) -> None:
    """The header the page sends is what authorises the request: without it, 401."""
    token = seed_client.logon()
    seed_client.cookies.clear()
    assert seed_client.get(SEED_URL).status_code == 401
    assert seed_client.get(SEED_URL, headers={"X-RestSvcSessionId": "bm90LWEtdG9rZW4="}).status_code == 401
    assert seed_client.get(SEED_URL, headers={"X-RestSvcSessionId": token}).status_code == 200


def test_session_token_has_the_samples_form(seed_client: EmClient) -> None:
    """The page's token is base64 of a GUID's text; mock-em's tokens have that form."""
    sample = "NDRjZmJkYmUtNWE5NS00MTU2LTg4NjctOTFmMDY5YjdjMmNj"
    for token in (sample, seed_client.logon()):
        text = base64.b64decode(token, validate=True).decode("ascii")
        assert str(UUID(text)) == text
        assert len(token) == len(sample)


def test_every_href_of_the_sample_resolves(seed_client: EmClient) -> None:
    """Each Href in the page's sample (points, their replicas, the backup server, the entity
    forms) answers 200 on the seed world."""
    hrefs = sorted({e.get("Href") for e in parse(seed_sample_xml()).iter() if e.get("Href")})
    assert len(hrefs) == 6 * 2 + 2 + 1
    token = seed_client.logon()
    failures = {}
    for href in hrefs:
        response = seed_client.get_as(token, href)
        if response.status_code != 200:
            failures[href] = response.status_code
    assert failures == {}
