//! `SettingStore`: the database answers, its writes are recorded as working, a setting
//! generated once is kept whatever is offered later, even by two at once, and settings of
//! one prefix are forgotten before a key.

use super::Fresh;

#[tokio::test]
async fn a_setting_is_stored_once_and_kept() {
    let db = Fresh::open().await;
    let store = &db.store;
    store.ping().await.unwrap();

    assert_eq!(
        store
            .setting_or_insert("reporter_key", "first")
            .await
            .unwrap(),
        "first"
    );
    assert_eq!(
        store
            .setting_or_insert("reporter_key", "second")
            .await
            .unwrap(),
        "first",
        "the value stored is kept"
    );
    assert_eq!(
        store.setting_or_insert("other", "its own").await.unwrap(),
        "its own"
    );
    let (one, other) = tokio::join!(
        store.setting_or_insert("raced", "one"),
        store.setting_or_insert("raced", "other")
    );
    let (one, other) = (one.unwrap(), other.unwrap());
    assert_eq!(one, other, "two at once agree on one value");
    assert!(one == "one" || one == "other");

    for day in ["day:2026-02-13", "day:2026-02-14", "day:2026-02-15"] {
        store.setting_or_insert(day, "k").await.unwrap();
    }
    store.setting_or_insert("day_other", "kept").await.unwrap();
    assert_eq!(
        store
            .forget_settings("day:", "day:2026-02-15")
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .setting_or_insert("day:2026-02-13", "new")
            .await
            .unwrap(),
        "new",
        "forgotten"
    );
    assert_eq!(
        store
            .setting_or_insert("day:2026-02-15", "new")
            .await
            .unwrap(),
        "k",
        "kept from the key on"
    );
    assert_eq!(
        store.setting_or_insert("day_other", "new").await.unwrap(),
        "kept",
        "another prefix is kept"
    );
    assert_eq!(store.forget_settings("none:", "z").await.unwrap(), 0);

    let health = store.write_health();
    assert_eq!(health.record().failing, None, "every write succeeded");
    assert!(health.failures().all(|(_, n)| n == 0));
}
