# لوحة المشرف، وتصحيح المدخلات المنشورة، وحالات الرفض الجديدة في واجهة المشرف البرمجية.

desk-title = لوحة المشرف
desk-home-title = اللوحة
desk-sign-in-title = الدخول إلى لوحة المشرف
desk-sign-in-intro = الصق رمز المشرف الخاص بك. يُسجَّل كل إجراء تقوم به هنا باسمك؛ ولا يرى العموم سوى «المشرف».
desk-sign-in-note = تُبطَّأ المحاولات الفاشلة حسب العنوان. تنتهي الجلسة بعد 8 ساعات دون استعمال، أو بعد 24 ساعة.
desk-token = رمز المشرف
desk-sign-in = دخول
desk-sign-out = خروج
desk-signed-in-as = متصل باسم
desk-closed = لا يمكن لأي مشرف الدخول: حدِّد BANKSTATUS_ADMIN_TOKEN، أو صرِّح بـ [[operators]] في ملف الإعدادات.
desk-nav-home = اللوحة
desk-nav-window = الإعلان عن صيانة
desk-nav-incident = عطب أو تنبيه
desk-nav-statement = ما قاله البنك
desk-nav-reports = البلاغات
desk-back = العودة إلى اللوحة
desk-none = لا شيء.

desk-attention = ما يستدعي الانتباه
desk-storage = السجل:
desk-storage-ok = يُكتب بشكل عادي.
desk-storage-failing = لا يُكتب منذ { $since } ({ $minutes } د، { $cause })؛ والصفحات تشير إلى ذلك.
desk-failing-probes = فحوصات فاشلة حاليا
desk-no-failing-probes = لا يوجد أي فحص فاشل حاليا.
desk-quarantined = وجهات تنبيهات موقوفة
desk-no-quarantined = لا توجد أي وجهة تنبيهات موقوفة.
desk-alerts-unread = تعذّرت قراءة قائمة التنبيهات.
desk-open-incidents = الحوادث والتنبيهات الجارية
desk-open-windows = الصيانات المعلن عنها
desk-latest-actions = آخر الإجراءات
desk-names-private = تظهر أسماء المشرفين هنا فقط، ولا تُعرض على العموم أبدا.
desk-new-advisory = نشر تنبيه أمني
desk-new-outage = التصريح بعطب

desk-action-create_incident = نشر حادثة أو تنبيه
desk-action-add_update = نشر تحديث
desk-action-create_maintenance = الإعلان عن صيانة
desk-action-change_maintenance = تعديل صيانة
desk-action-delete_report = حذف بلاغ
desk-action-delete_reporter_reports = حذف بلاغات صاحب بلاغ
desk-action-withdraw_incident = سحب إنذار كاذب
desk-action-correct_update = نشر تصحيح
desk-action-create_statement = تسجيل تصريح بنك
desk-action-sign_in = دخول
desk-action-sign_out = خروج
desk-done-title = تمّ

desk-bank-is = البنك:
desk-time-format = الصيغة:
desk-bank = البنك
desk-banks = الأبناك
desk-all-banks = جميع الأبناك
desk-channels = الخدمات
desk-channels-optional = الخدمات (إن لم تحدِّد أيًّا منها: جميعها)
desk-all-services = جميع الخدمات
desk-title-field = العنوان
desk-message = الرسالة
desk-source = المصدر (رابط الإعلان)
desk-starts = البداية
desk-ends = النهاية
desk-zone-hint = الأوقات كما تعرضها الساعات في { $zone } ({ $tz }). تغيير الساعة في رمضان محسوب: اكتب الوقت الذي يقرؤه الناس على ساعاتهم في ذلك اليوم.
desk-publish = نشر
desk-show = عرض

desk-window-new-title = الإعلان عن فترة صيانة
desk-window-edit-title = الصيانة: { $title }
desk-window-announce = إعلان
desk-window-save = الإعلان عن التعديل
desk-window-begun = بدأت هذه الصيانة: يبقى ما أُعلن عنه في السجل. انشر تحديثا، أو أنهِها أدناه.
desk-window-cancel-title = إنهاء الصيانة أو إلغاؤها
desk-window-cancel-reason = السبب (اختياري)
desk-window-cancel = إنهاء الصيانة الآن

desk-kind = النوع
desk-kind-advisory = تنبيه أمني
desk-kind-outage = عطب
desk-advisory-source = المصدر (إلزامي للتنبيه)
desk-advisory-source-hint = الجهة التي أعلنت عنه: بنك المغرب، أو المركز المغربي لليقظة والرصد والتصدي للهجمات المعلوماتية (maCERT)، أو البنك نفسه.
desk-fakes = نطاقات أو أرقام أو حسابات مزيفة
desk-fakes-hint = واحد في كل سطر. تُكتب النطاقات بنقطة مكسورة (bmce-secure[.]com) حتى لا يحوِّلها أي تطبيق إلى رابط.
desk-err-advisory-source = يحتاج التنبيه إلى رابط الجهة التي أعلنت عنه.

desk-post-update = نشر تحديث
desk-state = الحالة
desk-ready-texts = نص جاهز للحالة:
desk-new-title = عنوان جديد (اختياري)
desk-preview = معاينة
desk-preview-note = كما ستعرض صفحة الحادثة هذا المدخل، بكل لغة.
desk-preview-button = معاينة
desk-public-page = الصفحة العمومية
desk-correct = تصحيح هذا المدخل
desk-withdraw = سحب الحادثة باعتبارها إنذارا كاذبا
desk-withdraw-note = تغادر الحادثة الصفحات الحية والأرقام، ويحتفظ بها السجل على أنها مسحوبة مع السبب الذي تقدمه. ويُخبَر المشتركون الذين أُبلغوا بها.
desk-withdrawn-note = سُحبت باعتبارها إنذارا كاذبا: لا مزيد من التحديثات. وما زال بالإمكان تصحيح مدخلاتها.
desk-withdraw-reason = السبب

desk-ready-investigating = يُبلغ زبناء { $bank } عن مشاكل في: { $channels }. نحن بصدد التحقق مما يجري.
desk-ready-identified = تم تحديد سبب المشكل لدى { $bank } ({ $channels }). لم تعُد الخدمة إلى العمل بعدُ.
desk-ready-monitoring = عادت الخدمات التالية لدى { $bank } إلى العمل بالنسبة لأغلب الزبناء: { $channels }. نتابع الوضع للتأكد من استمرار ذلك.
desk-ready-resolved = عادت الخدمات التالية لدى { $bank } إلى العمل بشكل عادي: { $channels }.
desk-ready-scheduled = صيانة معلن عنها لدى { $bank } تشمل: { $channels }.
desk-ready-in_progress = الصيانة جارية لدى { $bank }، والخدمات التالية غير متاحة حاليا: { $channels }.
desk-ready-completed = انتهت الصيانة لدى { $bank }، والخدمات التالية متاحة من جديد: { $channels }.

desk-correct-title = تصحيح مدخل منشور
desk-published = تاريخ النشر
desk-published-text = النص كما نُشر
desk-correct-note = يُضاف التصحيح بعد المدخل مع وقته؛ ويحتفظ المدخل بنصه المنشور، ويرى القراء النصين معا.
desk-corrected-text = النص المصحَّح (تحتفظ اللغات المتروكة كما هي بنصها)
desk-correct-publish = نشر التصحيح

desk-statement-intro = كلمات البنك كما كتبها تماما، باللغات التي استعملها؛ أما ترجماتك فتوضع على حدة.
desk-statement-incident = رقم الحادثة (اختياري: وإلا فأعطاب البنك الجارية حين تكلّم)
desk-statement-words = كلمات البنك
desk-statement-translations = ترجمات من هذا الموقع
desk-source-kind = أين قال ذلك
desk-said-at = تاريخ التصريح
desk-expected-back = موعد العودة الموعود (اختياري)

desk-activity = مصادر البلاغات حاليا
desk-busiest-channels = الخدمات الأكثر إبلاغا عنها
desk-busiest-networks = الشبكات الأكثر نشاطا
desk-networks = الشبكات: { $count }
desk-reports-word = البلاغات:
desk-reporters-word = المبلِّغون:
desk-no-reports = لا توجد بلاغات.
desk-latest-reports = آخر البلاغات
desk-works = الخدمة تعمل لديه
desk-not-counted = غير محتسَب
desk-reporter = صاحب البلاغ
desk-delete = حذف
desk-delete-reporter = حذف كل بلاغات صاحبه
desk-watch = متابعة: إعادة التحميل كل 10 ثوانٍ
desk-watch-stop = إيقاف إعادة التحميل

desk-err-origin = لم تصدر هذه الاستمارة عن لوحة هذا الموقع: لم يُنفَّذ أي شيء.
desk-err-csrf = انتهت صلاحية هذه الاستمارة أو لم تصدر عن اللوحة: لم يُنفَّذ أي شيء. عُد إلى الصفحة السابقة، وأعِد تحميلها، ثم أرسلها من جديد.
desk-err-key = ينقص هذه الاستمارةَ مفتاحُها الوحيد: أعِد تحميل الصفحة ثم أرسلها من جديد.
desk-err-signed-out = لست متصلا، أو انتهت جلستك: لم يُنفَّذ أي شيء. ادخل من جديد من صفحة اللوحة.
desk-err-token = هذا الرمز ليس رمز مشرف.
desk-err-throttled = رموز خاطئة كثيرة من عنوانك: أعِد المحاولة بعد { $seconds } ث.
desk-err-no-action = لم يُنفَّذ أي إجراء بهذا المفتاح.

correction-at = صُحِّح في
correction-earlier = كان النص السابق:
correction-title = تصحيح

advisory-source = المصدر: { $url }
advisory-impersonators = عناوين وأرقام مزيفة، لا تثقوا بها: { $list }

window-changed = أُعلن عن الصيانة من جديد: من { $starts } إلى { $ends }، وتشمل: { $channels }.

err-request-repeated = سبق تنفيذ هذا الطلب (المفتاح { $key })، ولم يُعَد تنفيذ أي شيء.
err-idempotency-key = يجب أن يتكون الرأس Idempotency-Key من حرف واحد إلى { $max } حرفا من حروف ASCII القابلة للطباعة.
err-impersonators-too-many = لا يذكر التنبيه أكثر من { $max } من النطاقات أو الأرقام المزيفة.
err-impersonator = لا يمكن إدراج «{ $value }»: 200 حرف على الأكثر، دون حروف تحكّم أو حروف غير مرئية.
err-impersonators-advisory-only = لا يذكر النطاقاتِ أو الأرقامَ المزيفة إلا التنبيهُ الأمني.
err-no-window = لا توجد صيانة بالمعرّف «{ $id }».
err-window-bank = لا يتغير بنك الصيانة (وهو { $bank }): ألغِ هذه الصيانة وأعلن عن أخرى.
err-window-begun = الصيانة { $id } بدأت أو انتهت أو أُلغيت: يبقى ما أُعلن عنه في السجل. انشر تحديثا، أو أنهِها.
err-window-from-config = الصيانة { $id } مصدرها ملف الإعدادات: عدِّلها هناك.
err-incident-withdrawn = سُحبت الحادثة { $id } باعتبارها إنذارا كاذبا: لم تعد تقبل أي تحديث، وما زال بالإمكان تصحيح مدخلاتها.
err-no-update = لا يوجد في الحادثة { $id } مدخل «{ $update }».
err-correct-operator-only = لا تُصحَّح هنا إلا مدخلات المشرف؛ أما مدخلات نظام التتبع فتقول ما رآه.
err-correction-unchanged = النص المصحَّح مطابق للنص الحالي: لا شيء يُصحَّح.
