//! `DeskStore`: sessions opened with their sign-in's audit entry, read back by the hash of
//! their id, touched (never back in time), closed with or without a sign-out's entry and
//! purged when idle or old; the audit trail read back newest first and by request key.

use bankstatus::store::{AuditEntry, SessionRow, StoreError};

use super::{audit, ms, t, Fresh};

fn session(id: &str, operator: &str, at: i64) -> SessionRow {
    SessionRow {
        id_hash: id.into(),
        operator: operator.into(),
        created_at: t(at),
        seen_at: t(at),
    }
}

#[tokio::test]
async fn sessions_and_the_audit_trail_read_back() {
    let db = Fresh::open().await;
    let store = &db.store;
    assert_eq!(store.session("a").await.unwrap(), None);
    assert!(!store.touch_session("a", t(0)).await.unwrap());
    assert!(!store.close_session("a", None).await.unwrap());
    assert!(store.audit_entries(10).await.unwrap().is_empty());
    assert_eq!(store.audit_by_request("desk:1").await.unwrap(), None);

    store
        .open_session(&session("a", "desk-1", 0), &audit(t(0), "sign_in"))
        .await
        .unwrap();
    store
        .open_session(&session("b", "admin", 10), &audit(t(10), "sign_in"))
        .await
        .unwrap();
    assert_eq!(
        store.session("a").await.unwrap(),
        Some(session("a", "desk-1", 0))
    );
    // Touched to the millisecond, never moved back.
    assert!(store.touch_session("a", t(60) + ms(7)).await.unwrap());
    assert!(store.touch_session("a", t(30)).await.unwrap());
    let a = store.session("a").await.unwrap().unwrap();
    assert_eq!((a.created_at, a.seen_at), (t(0), t(60) + ms(7)));
    // Purged when idle (b, unused since 10 s) or old (a, opened at 0 s).
    assert_eq!(store.purge_sessions(t(11), t(-1)).await.unwrap(), 1);
    assert_eq!(store.session("b").await.unwrap(), None);
    assert!(store.session("a").await.unwrap().is_some());
    assert_eq!(store.purge_sessions(t(0), t(1)).await.unwrap(), 1);
    assert_eq!(store.session("a").await.unwrap(), None);
    assert_eq!(store.purge_sessions(t(0), t(1)).await.unwrap(), 0);
    // Closed with a sign-out: its entry is written with it, once.
    store
        .open_session(&session("b2", "admin", 20), &audit(t(20), "sign_in"))
        .await
        .unwrap();
    let out = AuditEntry {
        actor: "admin".into(),
        ..audit(t(25), "sign_out")
    };
    assert!(store.close_session("b2", Some(&out)).await.unwrap());
    assert!(!store.close_session("b2", Some(&out)).await.unwrap());
    assert_eq!(store.session("b2").await.unwrap(), None);

    // The trail newest first; a request key finds the one action it carried out.
    let keyed = AuditEntry {
        request: Some("desk:k1".into()),
        target: Some("report:9".into()),
        ..audit(t(30), "delete_report")
    };
    store
        .open_session(&session("c", "desk-1", 30), &keyed)
        .await
        .unwrap();
    let trail = store.audit_entries(10).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["delete_report", "sign_out", "sign_in", "sign_in", "sign_in"]
    );
    assert_eq!(trail[1].actor, "admin");
    assert_eq!(store.audit_entries(1).await.unwrap().len(), 1);
    let found = store.audit_by_request("desk:k1").await.unwrap().unwrap();
    assert_eq!(found.target.as_deref(), Some("report:9"));
    assert_eq!(found.at, t(30));
    assert_eq!(found.request.as_deref(), Some("desk:k1"));
    // A second action under the same key leaves nothing behind, not even its session.
    let again = store
        .open_session(&session("d", "desk-1", 40), &keyed)
        .await;
    assert!(
        matches!(again, Err(StoreError::Repeated(ref k)) if k == "desk:k1"),
        "{again:?}"
    );
    assert_eq!(store.session("d").await.unwrap(), None);
    assert_eq!(db.count("SELECT COUNT(*) FROM audit_log").await, 5);
}
