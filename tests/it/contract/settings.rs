//! `SettingStore`: the database answers, its writes are recorded as working, and a setting
//! generated once is kept whatever is offered later, even by two at once.

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

    let health = store.write_health();
    assert_eq!(health.record().failing, None, "every write succeeded");
    assert!(health.failures().all(|(_, n)| n == 0));
}
