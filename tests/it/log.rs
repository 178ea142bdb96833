//! The log of published facts: every fact is an entry, the tree is served as C2SP tiles, and
//! checkpoints, tiles, proofs and entries check out.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{quiet_bank, FakeBank, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fact_is_an_entry_in_a_signed_tree() {
    let fake = FakeBank::start().await;
    let app = TestApp::spawn(&format!(
        "{}\n[log]\ncheckpoint_every = \"100ms\"\n",
        quiet_bank(&fake)
    ))
    .await;
    let (status, v) = app
        .post(
            "/api/v1/incidents",
            &json!({"kind": "outage", "banks": ["bmce"], "channels": ["atm"], "title": {"fr": "Panne"}, "message": {"fr": "Pas de retrait."}}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            &json!({"state": "resolved"}),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let size = app.logged().await;
    assert_eq!(size, 2);
    let (_, key) = app.text("/log/key").await;
    let (_, note) = app.text("/log/checkpoint").await;
    let c = bankstatus::tlog::note::open(note.as_bytes(), &key).unwrap();
    assert_eq!(c.size, 2);
    let r = app.get("/log/tile/0/000.p/2").await;
    assert_eq!(r.status(), StatusCode::OK);
    let tile = r.bytes().await.unwrap();
    assert_eq!(tile.len(), 64);
    let r = app.get("/log/tile/entries/000.p/2").await;
    let bundle = r.bytes().await.unwrap();
    let entries = bankstatus::tlog::bundle::decode(&bundle).unwrap();
    assert_eq!(entries.len(), 2);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(
            &tile[i * 32..i * 32 + 32],
            &bankstatus::tlog::leaf_hash(e).0[..]
        );
    }
    let pack = app.json(&format!("/incidents/{id}/evidence.json")).await;
    assert_eq!(
        pack["log"]["entries"].as_array().unwrap().len(),
        2,
        "{pack}"
    );
}
