# أخطاء ayada-core بالعربية. كل رسالة تقول ما حدث وما العمل.
wrong-key = لا يمكن فتح قاعدة البيانات هذه بهذا المفتاح. تأكد من اختيار ملف المفتاح أو كلمة المرور أو سلسلة المفاتيح الصحيحة لهذه العيادة.
no-clinic = لا توجد عيادة في { $dir } بعد. أنشئ عيادة بالأمر "init" أو اختر المجلد الصحيح.
clinic-exists = توجد عيادة بالفعل في { $dir }. اختر مجلدًا فارغًا لعيادة جديدة.
keyring-unavailable = لا يمكن استخدام سلسلة مفاتيح النظام على هذا الجهاز ({ $detail }). اختر كلمة مرور لقاعدة البيانات (AYADA_DB_PASSPHRASE) أو ملف مفتاح (--key-file).
bad-key-file = لا يمكن استخدام ملف المفتاح { $path }: { $reason }.
key-source-mismatch = مفتاح هذه العيادة محفوظ في { $expected }، لكن المُعطى هو { $given }. استخدم مصدر المفتاح نفسه الذي أُنشئت به العيادة.
login-failed = اسم الدخول أو كلمة المرور غير صحيحة.
account-inactive = الحساب "{ $login }" موقوف. راجع صاحب العيادة.
forbidden = لا يُسمح لـ{ $role } بأن { $action }. راجع صاحب العيادة إن احتجت ذلك.
not-found = لم يُعثر على { $what } "{ $id }".
invalid = قيمة { $field } غير صحيحة: { $reason }.
invalid-money = "{ $input }" ليس مبلغًا صحيحًا. اكتبه مثل 350 أو 350.50 (رقمان عشريان على الأكثر، وغير سالب).
invalid-phone = "{ $input }" ليس رقم هاتف صالحًا. اكتبه مثل 01012345678 أو ‎+201012345678.
vital-out-of-range = قيمة { $vital } ‏{ $value } خارج المدى من { $min } إلى { $max }. تأكد من عدم وجود خطأ في الكتابة.
invalid-transition = لا يمكن تحويل موعد حالته { $from } إلى { $to }.
slot-taken = لدى { $doctor } حجز بالفعل في { $at }. اختر موعدًا متاحًا.
doctor-absent = { $doctor } غائب يوم { $date }. اختر يومًا آخر أو طبيبًا آخر.
duplicate = يوجد بالفعل { $what } "{ $value }".
no-open-shift = لا توجد وردية مفتوحة على هذا الجهاز. افتح وردية قبل استلام أو صرف نقدية.
shift-already-open = توجد وردية مفتوحة بالفعل على هذا الجهاز. أغلقها قبل فتح وردية أخرى.
bad-image = لا يمكن استخدام هذا الملف كصورة: { $reason }. لم يُحفظ شيء.
image-too-large = هذه الصورة أكبر من المسموح (الحد { $limit }). لم يُحفظ شيء.
import-rejected = في الملف { $bad_lines } سطر/أسطر بها أخطاء، لذلك لم يُستورد شيء. صحّحها أو وافق على تخطيها.
audit-tampered = تم العبث بسجل التدقيق عند القيد رقم { $seq }.
audit-unprotected = أُزيلت حماية سجل التدقيق (مشغّلات منع التعديل والحذف مفقودة): عدّل أحدهم قاعدة البيانات يدويًا.
storage = تعذرت قراءة قاعدة بيانات العيادة أو الكتابة فيها: { $detail }. لم يتغير شيء.
document = تعذرت قراءة سجل محفوظ: { $detail }.

role-owner = صاحب العيادة
role-doctor = الطبيب
role-receptionist = موظف الاستقبال
reason-passphrase-too-short = يجب ألا تقل عن 8 أحرف
field-passphrase = كلمة مرور قاعدة البيانات
action-manage-staff = يدير حسابات الموظفين
action-manage-settings = يغيّر إعدادات العيادة والأسعار والجداول
action-read-front-desk = يبحث في المرضى والمواعيد
action-write-patients = يسجّل المرضى أو يعدّل بياناتهم
action-book = يحجز المواعيد أو يغيّرها
action-mark-absence = يسجّل غياب طبيب
action-read-clinical = يطّلع على السجلات الطبية
action-write-clinical = يكتب السجلات الطبية (العلامات الحيوية والتشخيص والملاحظات)
action-take-payment = يستلم المدفوعات أو يرد المبالغ
action-record-expense = يسجّل المصروفات
action-run-shift = يفتح الوردية أو يغلقها
action-read-money = يطّلع على الحسابات (إجمالي النقدية والتقارير والإيرادات)
action-import-patients = يستورد المرضى
action-read-audit = يطّلع على سجل التدقيق
action-generate-demo = ينشئ بيانات تجريبية
reason-unknown-role = يجب أن يكون owner أو doctor أو receptionist
field-role = الدور
reason-required = مطلوبة
reason-too-long = أطول من المسموح
reason-not-plausible = غير منطقية
reason-day-first = يجب أن يكون يومًا مثل 23/11/1985 أو 1985-11-23
reason-not-a-workbook = ليس مصنف Excel ‏(.xlsx) ولا ملف CSV يمكن قراءته
reason-empty-workbook = الورقة الأولى فارغة
reason-empty-file = الملف فارغ
reason-in-the-past = لا تُدخل إلا المواعيد من اليوم فصاعدًا
reason-clock-time = يجب أن يكون وقتًا مثل 14:30 أو 2:30 م
reason-unknown-gender = يجب أن يكون ذكر أو أنثى
field-name = الاسم
field-gender = النوع
field-date = التاريخ
field-time = الوقت
what-patient = مريض
reason-iso-currency = يجب أن تكون رمزًا من ثلاثة أحرف مثل EGP
reason-minutes-range = يجب أن تكون بين 5 و480 دقيقة
field-currency = العملة
field-minutes = المدة بالدقائق
what-visit-type = نوع كشف
what-insurer = شركة تأمين
reason-password-too-short = يجب ألا تقل عن 8 أحرف
reason-login-chars = استخدم الحروف والأرقام و . _ - @ فقط
reason-self-deactivate = لا يمكنك إيقاف حسابك أنت
field-password = كلمة المرور
field-login = اسم الدخول
what-login = اسم دخول
what-staff-member = موظف
what-doctor = طبيب
reason-day-names = استخدم أسماء الأيام مثل sat,sun,mon,tue,wed,thu,fri
reason-end-before-start = يجب أن تكون النهاية بعد البداية
reason-ranges-overlap = فترات العمل متداخلة
field-days = أيام العمل
field-hours = ساعات العمل
what-schedule = جدول مواعيد
reason-cancel-needs-reason = اذكر سبب إلغاء الموعد
reason-move-not-waiting = لا يُنقل إلا حجز أو طلب لم يبدأ بعد
reason-move-into-past = لا يُنقل حجز إلى وقت مضى
reason-move-same-slot = الحجز في هذا الوقت مع هذا الطبيب بالفعل
reason-outside-hours = خارج ساعات عمل الطبيب في هذا اليوم
reason-absence-too-long = يُسجَّل الغياب لمدة 92 يومًا على الأكثر في كل مرة
reason-follow-up-days = يجب أن تكون بين يوم و365 يومًا
reason-no-follow-up = لم تطلب هذه الزيارة متابعة
field-follow-up = المتابعة
reason-unknown-status = يجب أن تكون requested أو booked أو arrived أو in-exam أو done أو cancelled أو no-show
field-reason = السبب
field-status = الحالة
what-appointment = موعد
reason-not-an-image = ليس صورة JPEG أو PNG أو WebP
reason-unsupported-image = هذا النوع من الصور غير مدعوم
reason-damaged-image = الملف تالف أو ناقص
what-photo = صورة
reason-not-a-number = ليست رقمًا
reason-bp-format = اكتبه بالشكل انقباضي/انبساطي مثل 120/80
reason-bp-order = يجب أن يكون الضغط الانقباضي أعلى من الانبساطي
reason-visit-needs-arrival = يجب أن يصل المريض قبل تسجيل الكشف
field-appointment = الموعد
field-blood-pressure = ضغط الدم
what-visit = كشف
reason-unknown-method = يجب أن تكون نقدي (cash) أو بطاقة (card) أو تأمين (insurance)
reason-amount-positive = يجب أن يكون أكبر من صفر
reason-pay-cancelled = لا يمكن الدفع لموعد ملغى أو لم يحضر
reason-insurer-needed = اذكر شركة التأمين للدفع بالتأمين
reason-insurer-only-insurance = تُذكر شركة التأمين مع الدفع بالتأمين فقط
reason-refund-exceeds = أكبر من المتبقي من المبلغ المدفوع
field-amount = المبلغ
field-method = طريقة الدفع
field-insurer = شركة التأمين
field-category = البند
what-payment = دفعة
what-shift = الوردية
what-clinic = العيادة
what-machine = الجهاز
what-cashbook-entry = قيد الخزينة
reason-csv-columns = يجب أن يحمل الصف الأول أسماء الأعمدة، وفيها الاسم والموبايل على الأقل (مثل الاسم والموبايل، أو name و phone)؛ ويمكن تحديد ما يحمله عمود عنوانه غير معروف
status-requested = مطلوب
status-booked = محجوز
status-arrived = حاضر
status-in-exam = في الكشف
status-done = منتهٍ
status-cancelled = ملغى
status-no-show = لم يحضر
day-closed = يوم { $date } مُقفل بالفعل (تقرير الإقفال رقم { $number })؛ اليوم المُقفل لا يتغير أبدًا. القيود اللاحقة تُرحّل إلى التقرير التالي.
bad-backup = لا يمكن فتح النسخة الاحتياطية { $path } بكلمة المرور هذه، أو أنها ليست نسخة احتياطية من عيادة.
action-close-day = يُقفل اليوم
action-print-receipt = يطبع الإيصالات
action-backup-export = ينسخ بيانات العيادة احتياطيًا أو يصدّرها
reason-close-future = لا يمكن إقفال يوم لم يأتِ بعد
reason-unknown-period = يجب أن تكون يوم أو أسبوع أو شهر (day أو week أو month)
reason-range-too-long = لا يجوز أن تتجاوز عشر سنوات
reason-not-empty = يجب أن يكون المجلد فارغًا
reason-file-exists = يوجد ملف بهذا الاسم بالفعل
field-period = الفترة
field-folder = المجلد
field-file = الملف
method-cash = نقدي
method-card = بطاقة
method-insurance = تأمين
kind-payment = دفعة
kind-refund = مرتجع
kind-expense = مصروف

# التقارير والإيصالات المطبوعة (كل عنوان يُطبع باللغتين).
pdf-z-report = تقرير إقفال اليوم
pdf-preview = معاينة: لم يُقفل هذا اليوم بعد
pdf-month = ملخص الشهر
pdf-number = رقم
pdf-date = التاريخ
pdf-closed-by = أقفله
pdf-closed-at = وقت الإقفال
pdf-time-zone = المنطقة الزمنية
pdf-payments = المدفوعات حسب طريقة الدفع
pdf-refunds = المرتجعات حسب طريقة الدفع
pdf-by-insurer = التأمين حسب الشركة
pdf-by-doctor = الإيراد حسب الطبيب
pdf-by-visit-type = الإيراد حسب نوع الزيارة
pdf-expenses = المصروفات حسب البند
pdf-total-payments = إجمالي المدفوعات
pdf-total-refunds = إجمالي المرتجعات
pdf-total-expenses = إجمالي المصروفات
pdf-net-revenue = صافي الإيراد
pdf-net-cash = صافي النقدية
pdf-shifts = الورديات
pdf-shift-open = ما زالت مفتوحة
pdf-float = الرصيد الافتتاحي
pdf-expected = المتوقع
pdf-counted = المعدود
pdf-difference = الفرق
pdf-late-in-shift = قيود متأخرة بعد الإقفال
pdf-activity = النشاط
pdf-bookings = الحجوزات
pdf-visits = الزيارات
pdf-cancelled = الملغاة
pdf-no-shows = لم يحضروا
pdf-late = قيود متأخرة مُرحّلة من أيام مُقفلة
pdf-server-ok = أكّد الخادم وصول تغييرات كل الأجهزة.
pdf-server-not = لم يتم التأكد مع الخادم:
pdf-none = لا يوجد
pdf-day = اليوم
pdf-net = الصافي
pdf-receipt = إيصال
pdf-refund-receipt = إيصال مرتجع
pdf-patient = المريض
pdf-doctor = الطبيب
pdf-visit-type = الزيارة
pdf-method = طريقة الدفع
pdf-insurer = شركة التأمين
pdf-amount = المبلغ
pdf-received-by = استلمه
pdf-thanks = شكرًا لكم، مع تمنياتنا بالشفاء.
pdf-page = صفحة
reason-not-utf8-path = يجب أن يكون المسار نصًا عاديًا (UTF-8)
field-value = القيمة
reason-not-offered = اختر إحدى القيمتين اللتين كتبهما الجهازان
what-conflict = التعارض
what-record = السجل
what-field = الحقل

# The sync client, the command line and the desktop shell. Values that a server or the
# system wrote ($cause, $said, $detail) are passed through as they came.
client-no-http = تعذر تشغيل عميل HTTP: { $detail }.
client-unreachable = تعذر الوصول إلى خادم المزامنة { $server } ({ $cause }). عملك محفوظ على هذا الجهاز؛ زامن لاحقًا.
client-unexpected = أجاب خادم المزامنة بما لم يُتوقع: { $detail }.
client-not-enrolled = هذا الجهاز غير مسجل بعد: شغّل enroll أولًا.
client-already-enrolled = هذا الجهاز مسجل بالفعل؛ شغّل المزامنة.
client-bad-address = "{ $server }" ليس عنوان خادم.
client-plain-http = العنوان { $server } يبدأ بـ http:// بلا تشفير، فستعبر كلمة مرور المالك الشبكة مكشوفة. استخدم عنوان الخادم الذي يبدأ بـ https://؛ وعلى شبكة خاصة بك وحدك اضبط AYADA_ALLOW_PLAIN_HTTP=1 للسماح بذلك.
client-refused = رفض خادم المزامنة: { $said }
client-refused-bad-login = رفض خادم المزامنة: البريد الإلكتروني أو كلمة المرور غير صحيحة.
client-refused-unauthorized = رفض خادم المزامنة: يحتاج هذا الطلب إلى رمز دخول صالح لم تنته مدته.
client-refused-too-many-requests = رفض خادم المزامنة: يرسل هذا الجهاز طلبات كثيرة؛ سيُخدم مرة أخرى بعد قليل.
client-refused-too-many-guesses = رفض خادم المزامنة: محاولات كثيرة بكلمة مرور خاطئة لهذا الحساب أو من هذا العنوان. حاول مرة أخرى بعد { $minutes } دقيقة.
client-refused-busy = رفض خادم المزامنة: الخادم مشغول الآن. حاول مرة أخرى بعد ثوانٍ.
client-refused-disk-full = رفض خادم المزامنة: قرص الخادم ممتلئ؛ لم يُحفظ شيء من هذا. عملك محفوظ على هذا الجهاز ويُرسل حين يفرغ مشغّل الخادم مساحة.
client-refused-quota = رفض خادم المزامنة: امتلأت المساحة المخصصة لهذه العيادة على الخادم؛ لم يُحفظ هذا. ({ $said })
client-refused-timeout = رفض خادم المزامنة: استغرق الطلب وقتًا أطول مما يسمح به الخادم فأُسقط؛ لم يُحفظ منه إلا ما اعتُمد. حاول مرة أخرى.
client-refused-too-large = رفض خادم المزامنة: الطلب أكبر مما يقبله الخادم في مرة واحدة.
client-refused-internal = رفض خادم المزامنة: تعذر على الخادم حفظ هذا؛ لم يُعتمد شيء. حاول مرة أخرى.
cli-error = خطأ
cli-password-env = ضع كلمة المرور في متغير البيئة { $var } (لا تُؤخذ من سطر الأوامر أبدًا).
cli-unreadable = تعذرت قراءة { $path }: { $detail }.
cli-needs-user = هذا الأمر يحتاج --user اسم_الدخول (وكلمة المرور في AYADA_PASSWORD).
cli-hours-pairs = أعطِ عدد --to مساويًا لعدد --from.
cli-import-rejected = { import-rejected } (--skip-bad-lines)
cli-pdf-failed = تعذر إنشاء ملف PDF: { $detail }
cli-unwritable = تعذرت كتابة { $path }: { $detail }.
cli-loading-clinic = تحميل العيادة
cli-synced = أُرسل { $pushed } وجُلب { $pulled } ({ $new } جديد)؛ { $boot } مستند حُمّل كاملًا؛ صور: أُرسلت { $sent } وجُلبت { $received }.
cli-held = { $held } تغييرًا مستلمًا محجوز جانبًا لم يُطبق بعد (انظر conflicts).
app-log-in-first = سجّل الدخول أولًا.
app-no-clinic = لا توجد عيادة بعد.
app-not-enrolled = هذا الجهاز غير متصل بخادم مزامنة.
app-pdf-failed = تعذر إنشاء ملف PDF: { $detail }
app-pdf-unwritable = تعذرت كتابة ملف PDF: { $detail }
app-internal = واجه التطبيق خطأً داخليًا؛ أعد تشغيله.
cli-clinic-created = أُنشئت العيادة { $clinic } في { $dir } (المالك: { $owner }).
cli-booked = حُجز { $id } في { $at }.
cli-requested = طُلب الحجز { $id } في { $at }.
cli-walked-in = { $id } ينتظر { $doctor } (حضور بلا حجز).
cli-visit-recorded = سُجلت الزيارة { $id }.
cli-paid = سُجل الدفع { $id } بمبلغ { $amount } ({ $method }).
cli-refunded = سُجل الاسترداد { $id } بمبلغ { $amount }.
cli-expense = سُجل المصروف { $id } بمبلغ { $amount }.
cli-shift-opened = فُتحت الوردية { $id } برصيد افتتاحي { $float }.
cli-shift-closed = أُغلقت الوردية { $id } والمعدود { $counted }.
cli-shift-difference = المتوقع { $expected }، والفرق { $difference }.
cli-visit-type = { $name }: { $price } ({ $minutes } دقيقة).
cli-insurer-added = قُبلت شركة التأمين { $name }.
cli-settled = أصبح { $field } في { $record } "{ $value }".
cli-no-conflicts = لا شيء يحتاج إلى قرار.
cli-import-line = السطر { $line }
cli-imported = قُرئ { $lines } سطرًا، منها { $valid } صالح، واستُورد { $imported }.
cli-audit-anchored = سجل التدقيق سليم ({ $rows } قيدًا) ويطابق { $compared } من الرؤوس التي حفظها خادم المزامنة.
cli-audit-alone = سجل التدقيق سليم ({ $rows } قيدًا)؛ لم يُقارن بخادم المزامنة: { $why }
cli-demo = { $days } يوم عمل: { $patients } مريض، { $appointments } حجز، { $visits } زيارة، { $payments } دفعة، { $expenses } مصروف، { $shifts } وردية ({ $seconds } ث).
    أسماء دخول الموظفين: reception و dr.sara و dr.karim.
cli-rebuilt = أُعيد بناء الجداول من { $docs } مستندًا.
cli-patient-added = سُجل المريض { $id }: { $name } { $phone }.
cli-born = تاريخ الميلاد { $dob }
cli-status = الحجز { $id } الآن: { $status }.
cli-moved = نُقل { $id } إلى { $at } مع { $doctor }.
cli-cancelled-many = { $count ->
        [one] أُلغي حجز واحد.
        [two] أُلغي حجزان.
        [few] أُلغيت { $count } حجوزات.
       *[other] أُلغي { $count } حجزًا.
    }
cli-moved-many = { $count ->
        [one] نُقل حجز واحد إلى { $doctor }.
        [two] نُقل حجزان إلى { $doctor }.
        [few] نُقلت { $count } حجوزات إلى { $doctor }.
       *[other] نُقل { $count } حجزًا إلى { $doctor }.
    }
cli-follow-up-due = موعدها { $due }، وأول موعد متاح { $proposed }
cli-no-follow-ups = لا متابعة تنتظر الحجز.
cli-absent = { $doctor } غائب من { $from } إلى { $to }. { $count ->
        [0] لا حجوزات في هذه الأيام.
        [one] حجز واحد يحتاج نقلًا أو إلغاءً:
        [two] حجزان يحتاجان نقلًا أو إلغاءً:
        [few] { $count } حجوزات تحتاج نقلًا أو إلغاءً:
       *[other] { $count } حجزًا يحتاج نقلًا أو إلغاءً:
    }
cli-back = يعمل { $doctor } من جديد من { $from } إلى { $to }.
cli-staff-added = يمكن لـ{ $name } ({ $role }) الدخول الآن باسم { $login }.
cli-inactive = موقوف
cli-staff-off = لم يعد بإمكان { $login } الدخول.
cli-schedule = يعمل { $doctor } أيام { $days } (مواعيد كل { $minutes } دقيقة).
cli-day-set = { $doctor }: ضُبط يوم { $date }.
cli-receipt = كُتب إيصال { $amount } { $currency } في { $path }
cli-backup = كُتبت النسخة الاحتياطية في { $file } ({ $bytes } بايت، { $documents } مستند). احفظ عبارة المرور جيدًا: بدونها لا تُفتح النسخة.
cli-restored = استُعيدت العيادة { $clinic } في { $dir } كجهاز جديد. سجّله للمزامنة.
cli-exported = صُدّر { $tables } جدولًا و{ $photos } صورة إلى { $folder }
cli-enrolled-seeded = سُجل هذا الجهاز، وعيادته { $clinic } صارت على { $server }. شغّل المزامنة.
cli-enrolled-joined = سُجل هذا الجهاز في العيادة { $clinic }. شغّل المزامنة لتصل العيادة إلى هنا.
cli-never = لم يحدث
cli-this-machine = هذا الجهاز
cli-machine-active = فعّال  آخر مزامنة { $last }  لم يُرسل { $pending }
cli-machine-revoked = أُلغي  آخر مزامنة { $last }  لم يُرسل { $pending }
cli-storage = المساحة على الخادم: { $used } من { $quota } ميجابايت
cli-revoked = لم يعد بإمكان الجهاز { $node } المزامنة (أُلغي { $revoked } من بيانات الاعتماد).
cli-payment-count = { $count } دفعة
cli-duplicate-known = هو المريض { $id } من قبل ({ $merge ->
        [true] استُكمل ما كان ناقصًا في ملفه
       *[other] تُخطّي
    })
cli-duplicate-line = يكرر السطر { $line } (تُخطّي)
cli-bad-column = "{ $given }" ليس بالشكل رقم=حقل (مثل 3=phone؛ والحقول: name و phone و gender و dob و medical-history و allergies و ignore).
# إعدادات الحجز عبر الإنترنت (للمالك)
field-days-ahead = أيام الحجز المسبق
field-cutoff = مهلة الإلغاء
field-reminders = التذكيرات
field-review-link = رابط التقييم
field-online-doctors = الأطباء المتاحون للحجز عبر الإنترنت
field-online-visit-types = أنواع الزيارات المتاحة للحجز عبر الإنترنت
reason-portal-days-ahead = يمكن للمرضى الحجز قبل الموعد بيوم واحد إلى ٩٠ يومًا
reason-portal-cutoff = مهلة الإلغاء بين ٠ و١٦٨ ساعة قبل الزيارة
reason-portal-reminders = ثلاثة تذكيرات على الأكثر، كل منها قبل الزيارة بساعة إلى ١٦٨ ساعة
reason-portal-review-link = يجب أن يبدأ بـ https:// وألا يحتوي على مسافات
reason-not-a-doctor = لا يمكن الحجز إلا مع طبيب
cli-portal = الحجز عبر الإنترنت { $enabled ->
        [on] مفعّل
       *[off] متوقف
    }: عدد الأطباء { $doctors }، عدد أنواع الزيارات { $types }، حتى { $days } يومًا مقدمًا، والإلغاء حتى { $cutoff } ساعة قبل الموعد.
