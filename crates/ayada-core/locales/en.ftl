# Errors from ayada-core, in English. Each says what happened and what to do.
wrong-key = This database cannot be opened with this key. Check that you chose the right key file, passphrase or keyring for this clinic.
no-clinic = There is no clinic in { $dir } yet. Create one with "init", or point --data at the right folder.
clinic-exists = A clinic already exists in { $dir }. Choose an empty folder for a new clinic.
keyring-unavailable = The system keyring cannot be used on this machine ({ $detail }). Choose a passphrase instead (AYADA_DB_PASSPHRASE) or a key file (--key-file).
bad-key-file = The key file { $path } cannot be used: { $reason }.
key-source-mismatch = This clinic's key is kept in { $expected }, but { $given } was given. Use the same key source as when the clinic was created.
login-failed = The login or the password is wrong.
account-inactive = The account "{ $login }" has been deactivated. Ask the clinic owner.
forbidden = A { $role } may not { $action }. Ask the clinic owner if you need this.
not-found = No { $what } "{ $id }" was found.
invalid = The { $field } is not valid: { $reason }.
invalid-money = "{ $input }" is not an amount of money. Write it like 350 or 350.50 (at most two decimals, not negative).
invalid-phone = "{ $input }" is not a phone number we can use. Write it like 01012345678 or +201012345678.
vital-out-of-range = A { $vital } of { $value } is outside { $min } to { $max }. Check for a typing mistake.
invalid-transition = An appointment that is { $from } cannot become { $to }.
slot-taken = { $doctor } already has a booking at { $at }. Choose a free slot.
doctor-absent = { $doctor } is away on { $date }. Choose another day or doctor.
duplicate = A { $what } "{ $value }" already exists.
no-open-shift = No shift is open on this machine. Open a shift before taking or paying out cash.
shift-already-open = A shift is already open on this machine. Close it before opening another.
bad-image = This file cannot be used as a photo: { $reason }. Nothing was saved.
image-too-large = This photo is too large (the limit is { $limit }). Nothing was saved.
import-rejected = { $bad_lines } line(s) of the file have errors, so nothing was imported. Fix them, or accept skipping them.
audit-tampered = The audit log has been altered at entry { $seq }.
audit-unprotected = The audit log's protection has been removed (its append-only triggers are missing): someone changed the database by hand.
storage = The clinic's database could not be read or written: { $detail }. Nothing was changed.
document = A stored record could not be read: { $detail }.

# Names of things and fields, used inside the sentences above.
role-owner = owner
role-doctor = doctor
role-receptionist = receptionist
reason-passphrase-too-short = it must be at least 8 characters long
field-passphrase = passphrase
action-manage-staff = manage staff accounts
action-manage-settings = change the clinic's settings, prices and schedules
action-read-front-desk = look up patients and appointments
action-write-patients = register or edit patients
action-book = book or change appointments
action-mark-absence = mark a doctor away
action-read-clinical = read clinical records
action-write-clinical = write clinical records (vitals, diagnoses, notes)
action-take-payment = take payments or refunds
action-record-expense = record expenses
action-run-shift = open or close a shift
action-read-money = read the money (cash totals, reports, revenue)
action-import-patients = import patients
action-read-audit = read the audit log
action-generate-demo = generate demo data
reason-unknown-role = it must be owner, doctor or receptionist
field-role = role
reason-required = it is required
reason-too-long = it is too long
reason-not-plausible = it is not plausible
reason-day-first = it must be a day like 23/11/1985 or 1985-11-23
reason-not-a-workbook = it is neither an Excel workbook (.xlsx) nor a CSV file this program can read
reason-empty-workbook = its first sheet is empty
reason-empty-file = it is empty
reason-in-the-past = only appointments from today on are brought in
reason-clock-time = it must be a time like 14:30 or 2:30 PM
reason-unknown-gender = it must be female or male
field-name = name
field-gender = gender
field-date = date
field-time = time
what-patient = patient
reason-iso-currency = it must be a three-letter code like EGP
reason-minutes-range = it must be between 5 and 480 minutes
field-currency = currency
field-minutes = length in minutes
what-visit-type = visit type
what-insurer = insurer
reason-password-too-short = it must be at least 8 characters long
reason-login-chars = use letters, digits and . _ - @ only
reason-self-deactivate = you cannot deactivate your own account
field-password = password
field-login = login
what-login = login
what-staff-member = staff member
field-node = machine
reason-not-a-node = it is not a machine's id
field-machine-key = machine key
reason-not-a-key = it is not a machine's public key
reason-machine-revoked = that machine was revoked; enroll it again under a new id
what-doctor = doctor
reason-day-names = use day names like sat,sun,mon,tue,wed,thu,fri
reason-end-before-start = the end must be after the start
reason-ranges-overlap = working ranges overlap
field-days = working days
field-hours = working hours
what-schedule = schedule for
reason-cancel-needs-reason = say why the appointment is cancelled
reason-move-not-waiting = only a booking or a request that has not begun can be moved
reason-move-into-past = a booking cannot be moved to a time that has passed
reason-move-same-slot = the booking is already at that time with that doctor
reason-outside-hours = it is outside the doctor's working hours that day
reason-absence-too-long = an absence is marked for at most 92 days at once
reason-follow-up-days = it must be between 1 and 365 days
reason-no-follow-up = this visit asked for no follow-up
field-follow-up = follow-up
reason-unknown-status = it must be one of requested, booked, arrived, in-exam, done, cancelled, no-show
field-reason = reason
field-status = status
what-appointment = appointment
reason-not-an-image = it is not a JPEG, PNG or WebP image
reason-unsupported-image = this kind of image is not supported
reason-damaged-image = the file is damaged or incomplete
what-photo = photo
reason-not-a-number = it is not a number
reason-bp-format = write it as systolic/diastolic, like 120/80
reason-bp-order = the systolic must be higher than the diastolic
reason-visit-needs-arrival = the patient must have arrived before a visit is recorded
field-appointment = appointment
field-blood-pressure = blood pressure
what-visit = visit
reason-unknown-method = it must be cash, card or insurance
reason-amount-positive = it must be more than zero
reason-pay-cancelled = a cancelled or missed appointment cannot be paid for
reason-insurer-needed = name the insurer of an insurance payment
reason-insurer-only-insurance = an insurer is only given for insurance payments
reason-refund-exceeds = it is more than what is left of the payment
field-amount = amount
field-method = payment method
field-insurer = insurer
field-category = category
what-payment = payment
what-shift = shift
what-clinic = clinic
what-machine = machine
what-cashbook-entry = cashbook entry
reason-csv-columns = the first row must name the columns, with at least the name and the phone (for example الاسم and الموبايل, or name and phone); a column whose heading is not known can be told what it holds
status-requested = requested
status-booked = booked
status-arrived = arrived
status-in-exam = in the exam room
status-done = done
status-cancelled = cancelled
status-no-show = a no-show
day-closed = The day { $date } is already closed (Z-report no. { $number }); a closed day never changes. Later entries go on the next report.
bad-backup = The backup { $path } cannot be opened with this passphrase, or it is not an Ayada backup.
action-close-day = close the day
action-print-receipt = print receipts
action-backup-export = back up or export the clinic's data
reason-close-future = a day that has not come yet cannot be closed
reason-unknown-period = it must be day, week or month
reason-range-too-long = it may cover at most ten years
reason-not-empty = the folder must be empty
reason-file-exists = a file with that name already exists
field-period = period
field-folder = folder
field-file = file
method-cash = cash
method-card = card
method-insurance = insurance
kind-payment = payment
kind-refund = refund
kind-expense = expense

# Printed reports and receipts (each label is printed in both languages).
pdf-z-report = Z-report: day close
pdf-preview = Preview: this day is not closed yet
pdf-month = Month summary
pdf-number = No.
pdf-date = Date
pdf-closed-by = Closed by
pdf-closed-at = Closed at
pdf-time-zone = Time zone
pdf-payments = Payments by method
pdf-refunds = Refunds by method
pdf-by-insurer = Insurance by insurer
pdf-by-doctor = Revenue by doctor
pdf-by-visit-type = Revenue by visit type
pdf-expenses = Expenses by category
pdf-total-payments = Total payments
pdf-total-refunds = Total refunds
pdf-total-expenses = Total expenses
pdf-net-revenue = Net revenue
pdf-net-cash = Net cash
pdf-shifts = Shifts
pdf-shift-open = still open
pdf-float = Float
pdf-expected = Expected
pdf-counted = Counted
pdf-difference = Difference
pdf-late-in-shift = late entries after the close
pdf-activity = Activity
pdf-bookings = Bookings
pdf-visits = Visits
pdf-cancelled = Cancelled
pdf-no-shows = No-shows
pdf-late = Late entries carried from closed days
pdf-server-ok = The server confirmed it had every machine's changes.
pdf-server-not = Not confirmed with the server:
pdf-none = none
pdf-day = Day
pdf-net = Net
pdf-receipt = Receipt
pdf-refund-receipt = Refund receipt
pdf-patient = Patient
pdf-doctor = Doctor
pdf-visit-type = Visit
pdf-method = Method
pdf-insurer = Insurer
pdf-amount = Amount
pdf-received-by = Received by
pdf-thanks = Thank you. Get well soon.
pdf-page = Page
reason-not-utf8-path = the path must be plain text (UTF-8)
field-value = value
reason-not-offered = choose one of the values the two machines wrote
what-conflict = conflict
what-record = record
what-field = field

# The sync client, the command line and the desktop shell. Values that a server or the
# system wrote ($cause, $said, $detail) are passed through as they came.
client-no-http = Cannot start the HTTP client: { $detail }.
client-unreachable = The sync server at { $server } cannot be reached ({ $cause }). Your work is kept on this machine; sync again later.
client-unexpected = The sync server answered something unexpected: { $detail }.
client-lan-identity = This machine's key for the clinic's network could not be made: { $detail }.
client-lan-failed = The other machine on the clinic's network could not be reached, or did not prove it belongs to this clinic: { $detail }.
client-not-enrolled = This machine is not enrolled yet: run enroll first.
client-already-enrolled = This machine is already enrolled; run sync.
client-bad-address = "{ $server }" is not a server address.
client-plain-http = The address { $server } is plain http://, so the owner's password would cross the network unencrypted. Use the server's https:// address; on a network that is yours alone, set AYADA_ALLOW_PLAIN_HTTP=1 to allow it.
client-refused = The sync server refused: { $said }
client-refused-bad-login = The sync server refused: { $said }
client-refused-unauthorized = The sync server refused: { $said }
client-refused-too-many-requests = The sync server refused: { $said }
client-refused-too-many-guesses = The sync server refused: { $said }
client-refused-busy = The sync server refused: { $said }
client-refused-disk-full = The sync server refused: { $said }
client-refused-quota = The sync server refused: { $said }
client-refused-timeout = The sync server refused: { $said }
client-refused-too-large = The sync server refused: { $said }
client-refused-internal = The sync server refused: { $said }
cli-error = error
cli-password-env = Set the password in the environment variable { $var } (it is never taken from the command line).
cli-unreadable = Cannot read { $path }: { $detail }.
cli-needs-user = This command needs --user LOGIN (and the password in AYADA_PASSWORD).
cli-hours-pairs = Give as many --to as --from.
cli-import-rejected = { import-rejected } (--skip-bad-lines)
cli-pdf-failed = Cannot make the PDF: { $detail }
cli-unwritable = Cannot write { $path }: { $detail }.
cli-loading-clinic = Loading the clinic
cli-synced = Sent { $pushed }, received { $pulled } ({ $new } new); { $boot } documents loaded whole; photos: { $sent } sent, { $received } received.
cli-held = { $held } received changes are held aside, not applied yet (see conflicts).
app-log-in-first = Log in first.
app-no-clinic = There is no clinic yet.
app-not-enrolled = This machine is not connected to a sync server.
app-pdf-failed = The PDF could not be made: { $detail }
app-pdf-unwritable = The PDF could not be written: { $detail }
app-internal = The app hit an internal error; restart it.
cli-clinic-created = Clinic { $clinic } created in { $dir } (owner: { $owner }).
cli-booked = Booked { $id } at { $at }.
cli-requested = Requested { $id } at { $at }.
cli-walked-in = { $id } is waiting for { $doctor } (walk-in).
cli-visit-recorded = Visit { $id } recorded.
cli-paid = Payment { $id } of { $amount } ({ $method }) recorded.
cli-refunded = Refund { $id } of { $amount } recorded.
cli-expense = Expense { $id } of { $amount } recorded.
cli-shift-opened = Shift { $id } opened with { $float }.
cli-shift-closed = Shift { $id } closed with { $counted } counted.
cli-shift-difference = Expected { $expected }, difference { $difference }.
cli-visit-type = { $name }: { $price } ({ $minutes } min).
cli-insurer-added = Insurer { $name } accepted.
cli-settled = { $field } of { $record } is now "{ $value }".
cli-no-conflicts = Nothing needs a decision.
cli-import-line = line { $line }
cli-imported = { $lines } lines read, { $valid } valid, { $imported } imported.
cli-audit-anchored = The audit log is intact ({ $rows } entries) and matches the { $compared } heads the sync server kept.
cli-audit-alone = The audit log is intact ({ $rows } entries); not compared with the sync server: { $why }
cli-demo = { $days } clinic days: { $patients } patients, { $appointments } appointments, { $visits } visits, { $payments } payments, { $expenses } expenses, { $shifts } shifts ({ $seconds } s).
    Staff logins: reception, dr.sara, dr.karim.
cli-rebuilt = Projections rebuilt from { $docs } documents.
cli-patient-added = Patient { $id } registered: { $name } { $phone }.
cli-born = born { $dob }
cli-status = Appointment { $id } is now { $status }.
cli-moved = { $id } moved to { $at } with { $doctor }.
cli-cancelled-many = { $count ->
        [one] One booking cancelled.
       *[other] { $count } bookings cancelled.
    }
cli-moved-many = { $count ->
        [one] One booking moved to { $doctor }.
       *[other] { $count } bookings moved to { $doctor }.
    }
cli-follow-up-due = due { $due }, first free { $proposed }
cli-no-follow-ups = No follow-up waits to be booked.
cli-absent = { $doctor } is away from { $from } to { $to }. { $count ->
        [0] No booking on those days.
        [one] One booking to move or cancel:
       *[other] { $count } bookings to move or cancel:
    }
cli-back = { $doctor } works again from { $from } to { $to }.
cli-staff-added = { $name } ({ $role }) can now log in as { $login }.
cli-inactive = inactive
cli-staff-off = { $login } can no longer log in.
cli-schedule = { $doctor } works { $days } ({ $minutes } min slots).
cli-day-set = { $doctor }: { $date } set.
cli-receipt = Receipt for { $amount } { $currency } written to { $path }
cli-backup = Backup written to { $file } ({ $bytes } bytes, { $documents } documents). Keep the passphrase safe: without it the backup cannot be opened.
cli-restored = Clinic { $clinic } restored into { $dir } as a new machine. Enroll it to sync.
cli-exported = Exported { $tables } tables and { $photos } photos to { $folder }
cli-enrolled-seeded = This machine is enrolled and its clinic { $clinic } now lives on { $server }. Run sync.
cli-enrolled-joined = This machine is enrolled into clinic { $clinic }. Run sync to bring the clinic here.
cli-never = never
cli-this-machine = this machine
cli-machine-active = active  last sync { $last }  unsent { $pending }
cli-machine-revoked = revoked  last sync { $last }  unsent { $pending }
cli-storage = storage on the server: { $used } of { $quota } MB
cli-revoked = Machine { $node } can no longer sync ({ $revoked } credential(s) revoked).
cli-payment-count = { $count } payments
cli-duplicate-known = is patient { $id } already ({ $merge ->
        [true] what their file lacked is filled in
       *[other] skipped
    })
cli-duplicate-line = repeats line { $line } (skipped)
cli-bad-column = "{ $given }" is not NUMBER=FIELD (for example 3=phone; fields: name, phone, gender, dob, medical-history, allergies, ignore).
# The online booking portal's settings (the owner's)
field-days-ahead = days ahead
field-cutoff = cancellation cut-off
field-reminders = reminders
field-review-link = review link
field-online-doctors = doctors bookable online
field-online-visit-types = visit types bookable online
reason-portal-days-ahead = patients can book from 1 to 90 days ahead
reason-portal-cutoff = the cut-off is between 0 and 168 hours before the visit
reason-portal-reminders = at most 3 reminders, each 1 to 168 hours before the visit
reason-portal-review-link = it must be an https:// address without spaces
reason-not-a-doctor = only doctors can be booked
cli-portal = Online booking is { $enabled ->
        [on] on
       *[off] off
    }: { $doctors } { $doctors ->
        [one] doctor
       *[other] doctors
    }, { $types } visit { $types ->
        [one] type
       *[other] types
    }, up to { $days } days ahead, cancellation until { $cutoff } hours before.
