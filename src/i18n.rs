//! The catalogue of visible words, in Arabic, French and English.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::{Channel, Lang, Status};

/// Every fixed string a page shows, in one language.
pub struct Text {
    pub lang_name: &'static str,
    pub site_title: &'static str,
    pub tagline: &'static str,
    pub network_cut_title: &'static str,
    pub network_cut_body: &'static str,
    pub since: &'static str,
    pub ongoing_incidents: &'static str,
    pub no_ongoing_incidents: &'static str,
    pub all_banks: &'static str,
    pub channel: &'static str,
    pub status: &'static str,
    pub last_90_days: &'static str,
    pub days_ago_90: &'static str,
    pub today: &'static str,
    pub response_time_24h: &'static str,
    pub recent_incidents: &'static str,
    pub no_incidents: &'static str,
    pub started: &'static str,
    pub resolved: &'static str,
    pub ongoing: &'static str,
    pub duration: &'static str,
    pub timeline: &'static str,
    pub affected: &'static str,
    pub sources: &'static str,
    pub website: &'static str,
    pub last_check: &'static str,
    pub not_checked_yet: &'static str,
    pub availability: &'static str,
    pub no_data: &'static str,
    pub checks: &'static str,
    pub home: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub bad_request_title: &'static str,
    pub server_error_title: &'static str,
    pub server_error_body: &'static str,
    pub times_in: &'static str,
    pub footer: &'static str,
    pub language: &'static str,
    pub ms: &'static str,
    pub report_title: &'static str,
    pub report_intro: &'static str,
    pub report_bank: &'static str,
    pub report_channel: &'static str,
    pub report_comment: &'static str,
    pub report_submit: &'static str,
    pub report_choose_option: &'static str,
    pub report_privacy: &'static str,
    pub report_honeypot: &'static str,
    pub report_thanks: &'static str,
    pub report_repeat: &'static str,
    pub report_expired: &'static str,
    pub report_choose: &'static str,
    pub report_too_many: &'static str,
    pub report_back: &'static str,
    pub report_another: &'static str,
    pub maintenance_now: &'static str,
    pub maintenance_upcoming: &'static str,
    pub maintenance_title: &'static str,
    pub window_from: &'static str,
    pub window_to: &'static str,
    pub announcement: &'static str,
    pub overran: &'static str,
    pub announced_end: &'static str,
    pub overran_by: &'static str,
    pub confidence: &'static str,
    pub reports_24h: &'static str,
    pub reports_recent: &'static str,
    pub minutes: &'static str,
    pub usual: &'static str,
    pub usual_level: &'static str,
    pub recorded_later: &'static str,
    pub comments_title: &'static str,
    pub subscribe: &'static str,
    pub calendar: &'static str,
}

static AR: Text = Text {
    lang_name: "العربية",
    site_title: "حالة البنوك",
    tagline: "هل بنكي معطل؟ فحص مباشر للخدمات الرقمية للبنوك المغربية، وسجل أعطابها.",
    network_cut_title: "المتتبع لا يرى البنوك حاليا",
    network_cut_body: "اتصال المتتبع نفسه بالإنترنت معطل: مواقع المراقبة المرجعية لا تجيب أيضا. حالة البنوك غير معروفة إلى أن يعود الاتصال، ولا يُفتح أي عطب خلال ذلك.",
    since: "منذ",
    ongoing_incidents: "أعطاب جارية",
    no_ongoing_incidents: "لا يوجد عطب جار حاليا.",
    all_banks: "كل البنوك",
    channel: "القناة",
    status: "الحالة",
    last_90_days: "آخر 90 يوما",
    days_ago_90: "قبل 90 يوما",
    today: "اليوم",
    response_time_24h: "زمن الاستجابة خلال 24 ساعة",
    recent_incidents: "الأعطاب الأخيرة",
    no_incidents: "لا توجد أعطاب مسجلة.",
    started: "البداية",
    resolved: "تم الحل",
    ongoing: "جار",
    duration: "المدة",
    timeline: "التسلسل الزمني",
    affected: "المعني",
    sources: "المصادر",
    website: "الموقع الرسمي",
    last_check: "آخر فحص",
    not_checked_yet: "لم يُفحص بعد",
    availability: "التوفر",
    no_data: "لا بيانات",
    checks: "الفحوصات",
    home: "الرئيسية",
    not_found_title: "الصفحة غير موجودة",
    not_found_body: "لا يوجد بنك أو عطب بهذا العنوان.",
    bad_request_title: "طلب غير صالح",
    server_error_title: "خطأ في الخادم",
    server_error_body: "حدث خطأ من جهتنا. حاول مرة أخرى بعد قليل.",
    times_in: "الأوقات بتوقيت",
    footer: "تُفحص الخدمات من خارج البنوك؛ قد لا يظهر عطب داخلي لا يمس الواجهات العمومية.",
    language: "اللغة",
    ms: "م.ث",
    report_title: "الإبلاغ عن مشكلة",
    report_intro: "أخبر الآخرين بما تراه: شباك أوتوماتيكي لا يعطي النقود، أداء بالبطاقة مرفوض. بلاغات كثيرة في وقت قصير تفتح عطبا.",
    report_bank: "البنك",
    report_channel: "ما الذي لا يعمل؟",
    report_comment: "ماذا ترى؟ (اختياري، 500 حرف على الأكثر)",
    report_submit: "إرسال البلاغ",
    report_choose_option: "اختر…",
    report_privacy: "لا يُحفظ عنوانك أبدا: فقط بصمة مشفرة منه لعدّ كل شخص مرة واحدة.",
    report_honeypot: "اترك هذا الحقل فارغا",
    report_thanks: "شكرا: تم احتساب بلاغك.",
    report_repeat: "شكرا. سبق أن أبلغت عن هذا خلال آخر 10 دقائق، لذلك يُحتسب مرة واحدة.",
    report_expired: "انتهت صلاحية الاستمارة. المرجو إرسالها من جديد.",
    report_choose: "اختر بنكا وقناة.",
    report_too_many: "بلاغات كثيرة من اتصالك خلال الساعة الأخيرة. حاول لاحقا.",
    report_back: "العودة إلى صفحة البنك",
    report_another: "إرسال بلاغ آخر",
    maintenance_now: "صيانة جارية",
    maintenance_upcoming: "صيانة مبرمجة",
    maintenance_title: "الصيانة المعلن عنها",
    window_from: "من",
    window_to: "إلى",
    announcement: "الإعلان",
    overran: "تجاوز للصيانة المعلن عنها",
    announced_end: "النهاية المعلنة",
    overran_by: "التجاوز",
    confidence: "درجة اليقين",
    reports_24h: "البلاغات خلال 24 ساعة",
    reports_recent: "بلاغات خلال آخر",
    minutes: "دقيقة",
    usual: "المعتاد",
    usual_level: "المستوى المعتاد",
    recorded_later: "سُجل لاحقا من طرف المشرف",
    comments_title: "ما يقوله الزبناء (24 ساعة)",
    subscribe: "اشترك",
    calendar: "تقويم الصيانة",
};

static FR: Text = Text {
    lang_name: "Français",
    site_title: "État des banques",
    tagline: "Ma banque est-elle en panne ? Les services en ligne des banques marocaines vérifiés en direct, et l'historique de leurs pannes.",
    network_cut_title: "Le suivi ne voit pas les banques en ce moment",
    network_cut_body: "La connexion Internet du suivi lui-même est coupée : les sites de contrôle ne répondent pas non plus. L'état des banques est inconnu jusqu'à son retour, et aucune panne n'est ouverte entre-temps.",
    since: "depuis",
    ongoing_incidents: "Incidents en cours",
    no_ongoing_incidents: "Aucun incident en cours.",
    all_banks: "Toutes les banques",
    channel: "Canal",
    status: "État",
    last_90_days: "90 derniers jours",
    days_ago_90: "il y a 90 jours",
    today: "aujourd'hui",
    response_time_24h: "Temps de réponse sur 24 h",
    recent_incidents: "Incidents récents",
    no_incidents: "Aucun incident enregistré.",
    started: "Début",
    resolved: "Résolu",
    ongoing: "en cours",
    duration: "Durée",
    timeline: "Chronologie",
    affected: "Concerne",
    sources: "Sources",
    website: "Site officiel",
    last_check: "Dernière vérification",
    not_checked_yet: "pas encore vérifié",
    availability: "Disponibilité",
    no_data: "pas de données",
    checks: "Vérifications",
    home: "Accueil",
    not_found_title: "Page introuvable",
    not_found_body: "Aucune banque ni aucun incident à cette adresse.",
    bad_request_title: "Requête invalide",
    server_error_title: "Erreur du serveur",
    server_error_body: "Une erreur s'est produite de notre côté. Réessayez dans un instant.",
    times_in: "Heures de",
    footer: "Les services sont vérifiés depuis l'extérieur des banques ; une panne interne qui ne touche pas les accès publics peut ne pas apparaître.",
    language: "Langue",
    ms: "ms",
    report_title: "Signaler un problème",
    report_intro: "Dites aux autres ce que vous constatez : un guichet qui ne donne pas d'argent, un paiement par carte refusé. Beaucoup de signalements en peu de temps ouvrent un incident.",
    report_bank: "Banque",
    report_channel: "Qu'est-ce qui ne marche pas ?",
    report_comment: "Que constatez-vous ? (facultatif, 500 caractères au plus)",
    report_submit: "Envoyer le signalement",
    report_choose_option: "Choisir…",
    report_privacy: "Votre adresse n'est jamais conservée : seulement une empreinte chiffrée, pour compter chaque personne une fois.",
    report_honeypot: "Laissez ce champ vide",
    report_thanks: "Merci : votre signalement est compté.",
    report_repeat: "Merci. Vous l'avez déjà signalé dans les 10 dernières minutes : il compte une seule fois.",
    report_expired: "Le formulaire a expiré. Merci de l'envoyer à nouveau.",
    report_choose: "Choisissez une banque et un canal.",
    report_too_many: "Trop de signalements depuis votre connexion cette dernière heure. Réessayez plus tard.",
    report_back: "Retour à la page de la banque",
    report_another: "Envoyer un autre signalement",
    maintenance_now: "Maintenance en cours",
    maintenance_upcoming: "Maintenance à venir",
    maintenance_title: "Maintenance annoncée",
    window_from: "du",
    window_to: "au",
    announcement: "Annonce",
    overran: "Débordement de la maintenance annoncée",
    announced_end: "Fin annoncée",
    overran_by: "Débordement",
    confidence: "Fiabilité",
    reports_24h: "Signalements sur 24 h",
    reports_recent: "signalements dans les dernières",
    minutes: "min",
    usual: "d'habitude",
    usual_level: "niveau habituel",
    recorded_later: "Enregistré après coup par l'opérateur",
    comments_title: "Ce que disent les clients (24 h)",
    subscribe: "S'abonner",
    calendar: "Calendrier des maintenances",
};

static EN: Text = Text {
    lang_name: "English",
    site_title: "Bank status",
    tagline: "Is my bank down? Live checks of Moroccan banks' online services, and the record of their outages.",
    network_cut_title: "The tracker cannot see the banks right now",
    network_cut_body: "The tracker's own internet connection is down: the control sites do not answer either. Bank statuses are unknown until it is back, and no outage is opened meanwhile.",
    since: "since",
    ongoing_incidents: "Ongoing incidents",
    no_ongoing_incidents: "No ongoing incident.",
    all_banks: "All banks",
    channel: "Channel",
    status: "Status",
    last_90_days: "Last 90 days",
    days_ago_90: "90 days ago",
    today: "today",
    response_time_24h: "Response time over 24 h",
    recent_incidents: "Recent incidents",
    no_incidents: "No incident on record.",
    started: "Started",
    resolved: "Resolved",
    ongoing: "ongoing",
    duration: "Duration",
    timeline: "Timeline",
    affected: "Affects",
    sources: "Sources",
    website: "Official website",
    last_check: "Last check",
    not_checked_yet: "not checked yet",
    availability: "Availability",
    no_data: "no data",
    checks: "Checks",
    home: "Home",
    not_found_title: "Page not found",
    not_found_body: "There is no bank or incident at this address.",
    bad_request_title: "Bad request",
    server_error_title: "Server error",
    server_error_body: "Something went wrong on our side. Please try again in a moment.",
    times_in: "Times in",
    footer: "Services are checked from outside the banks; an internal failure that spares the public entry points may not show.",
    language: "Language",
    ms: "ms",
    report_title: "Report a problem",
    report_intro: "Tell others what you see: an ATM that gives no cash, a card payment refused. Many reports in a short time open an incident.",
    report_bank: "Bank",
    report_channel: "What does not work?",
    report_comment: "What do you see? (optional, at most 500 characters)",
    report_submit: "Send the report",
    report_choose_option: "Choose…",
    report_privacy: "Your address is never stored: only a keyed hash of it, to count each person once.",
    report_honeypot: "Leave this field empty",
    report_thanks: "Thank you: your report is counted.",
    report_repeat: "Thank you. You reported this in the last 10 minutes, so it counts once.",
    report_expired: "The form expired. Please send it again.",
    report_choose: "Choose a bank and a channel.",
    report_too_many: "Too many reports from your connection in the last hour. Please try again later.",
    report_back: "Back to the bank's page",
    report_another: "Send another report",
    maintenance_now: "Maintenance in progress",
    maintenance_upcoming: "Upcoming maintenance",
    maintenance_title: "Announced maintenance",
    window_from: "from",
    window_to: "to",
    announcement: "Announcement",
    overran: "Overran the announced maintenance",
    announced_end: "Announced end",
    overran_by: "Overran by",
    confidence: "Confidence",
    reports_24h: "Reports over 24 h",
    reports_recent: "reports in the last",
    minutes: "min",
    usual: "usually",
    usual_level: "usual level",
    recorded_later: "Recorded later by the operator",
    comments_title: "What customers say (24 h)",
    subscribe: "Subscribe",
    calendar: "Maintenance calendar",
};

pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::Ar => &AR,
        Lang::Fr => &FR,
        Lang::En => &EN,
    }
}

pub fn channel_name(c: Channel, lang: Lang) -> &'static str {
    match (c, lang) {
        (Channel::Web, Lang::Ar) => "الخدمات البنكية عبر الإنترنت",
        (Channel::Web, Lang::Fr) => "Banque en ligne",
        (Channel::Web, Lang::En) => "Online banking",
        (Channel::Mobile, Lang::Ar) => "تطبيق الهاتف",
        (Channel::Mobile, Lang::Fr) => "Application mobile",
        (Channel::Mobile, Lang::En) => "Mobile app",
        (Channel::Atm, Lang::Ar) => "الشبابيك الأوتوماتيكية",
        (Channel::Atm, Lang::Fr) => "Guichets automatiques",
        (Channel::Atm, Lang::En) => "ATMs",
        (Channel::Cards, Lang::Ar) => "الأداء بالبطاقة",
        (Channel::Cards, Lang::Fr) => "Paiements par carte",
        (Channel::Cards, Lang::En) => "Card payments",
        (Channel::Transfers, Lang::Ar) => "التحويلات",
        (Channel::Transfers, Lang::Fr) => "Virements",
        (Channel::Transfers, Lang::En) => "Transfers",
        (Channel::Branches, Lang::Ar) => "الوكالات والشيكات",
        (Channel::Branches, Lang::Fr) => "Agences et chèques",
        (Channel::Branches, Lang::En) => "Branches and cheques",
    }
}

pub fn status_name(s: Status, lang: Lang) -> &'static str {
    match (s, lang) {
        (Status::MajorOutage, Lang::Ar) => "عطب كبير",
        (Status::MajorOutage, Lang::Fr) => "Panne majeure",
        (Status::MajorOutage, Lang::En) => "Major outage",
        (Status::PartialOutage, Lang::Ar) => "عطب جزئي",
        (Status::PartialOutage, Lang::Fr) => "Panne partielle",
        (Status::PartialOutage, Lang::En) => "Partial outage",
        (Status::Degraded, Lang::Ar) => "بطء",
        (Status::Degraded, Lang::Fr) => "Lenteurs",
        (Status::Degraded, Lang::En) => "Degraded",
        (Status::Maintenance, Lang::Ar) => "صيانة",
        (Status::Maintenance, Lang::Fr) => "Maintenance",
        (Status::Maintenance, Lang::En) => "Maintenance",
        (Status::Operational, Lang::Ar) => "يعمل",
        (Status::Operational, Lang::Fr) => "Opérationnel",
        (Status::Operational, Lang::En) => "Operational",
        (Status::Unknown, Lang::Ar) => "غير معروف",
        (Status::Unknown, Lang::Fr) => "Inconnu",
        (Status::Unknown, Lang::En) => "Unknown",
    }
}

/// Words for incident states, kinds and sources as stored (`investigating`, `probe`...).
pub fn term(word: &str, lang: Lang) -> &str {
    let t = match word {
        "investigating" => ["قيد التحقق", "En cours d'analyse", "Investigating"],
        "identified" => ["تم تحديد السبب", "Cause identifiée", "Identified"],
        "monitoring" => ["تحت المراقبة", "Sous surveillance", "Monitoring"],
        "resolved" => ["تم الحل", "Résolu", "Resolved"],
        "scheduled" => ["مبرمجة", "Programmée", "Scheduled"],
        "in_progress" => ["جارية", "En cours", "In progress"],
        "completed" => ["انتهت", "Terminée", "Completed"],
        "outage" => ["عطب", "Panne", "Outage"],
        "maintenance" => ["صيانة", "Maintenance", "Maintenance"],
        "advisory" => ["تنبيه أمني", "Alerte de sécurité", "Security advisory"],
        "probe" => [
            "فحوصات آلية",
            "Vérifications automatiques",
            "Automatic checks",
        ],
        "reports" => [
            "بلاغات الزبناء",
            "Signalements des clients",
            "Customer reports",
        ],
        "operator" => ["المشرف", "Opérateur", "Operator"],
        "confirmed" => ["مؤكد", "Confirmé", "Confirmed"],
        "likely" => ["محتمل", "Probable", "Likely"],
        "announced" => ["معلن عنه", "Annoncé", "Announced"],
        other => return other,
    };
    match lang {
        Lang::Ar => t[0],
        Lang::Fr => t[1],
        Lang::En => t[2],
    }
}

/// A short status icon, so status is never shown by colour alone.
pub fn status_icon(s: Status) -> &'static str {
    match s {
        Status::MajorOutage => "✕",
        Status::PartialOutage => "!",
        Status::Degraded => "~",
        Status::Maintenance => "⚙",
        Status::Operational => "✓",
        Status::Unknown => "?",
    }
}

/// A local date and time, e.g. `13/02/2026 16:00`.
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// A duration in whole minutes, hours and days, e.g. `2 h 15 min`.
pub fn duration(from: DateTime<Utc>, to: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (to - from).num_minutes().max(0);
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let (day, hour, min) = match lang {
        Lang::Ar => ("ي", "س", "د"),
        Lang::Fr => ("j", "h", "min"),
        Lang::En => ("d", "h", "min"),
    };
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} {day}"));
    }
    if h > 0 {
        parts.push(format!("{h} {hour}"));
    }
    if m > 0 || parts.is_empty() {
        parts.push(format!("{m} {min}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn duration_across_the_ramadan_clock_change_counts_real_minutes() {
        let from = Utc
            .with_ymd_and_hms(2026, 2, 15, 0, 30, 0)
            .single()
            .expect("time");
        let to = Utc
            .with_ymd_and_hms(2026, 2, 15, 2, 45, 0)
            .single()
            .expect("time");
        assert_eq!(duration(from, to, Lang::Fr), "2 h 15 min");
        assert_eq!(duration(from, from, Lang::En), "0 min");
        let tz = chrono_tz::Africa::Casablanca;
        // 00:30 UTC is 01:30 before the switch; 02:45 UTC is 02:45 after it.
        assert_eq!(local_time(from, tz), "15/02/2026 01:30");
        assert_eq!(local_time(to, tz), "15/02/2026 02:45");
    }
}
