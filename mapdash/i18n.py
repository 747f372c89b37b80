"""Thai first, English on request: the language choice, the message catalogue, Thai dates.

The catalogue is a plain dict (key -> (Thai, English)); templates call t("key").
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, request
from urllib.parse import urlencode

LANGUAGES = ("th", "en")
LOCAL_TZ = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543  # Buddhist Era = Common Era + 543

THAI_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                     "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

MESSAGES = {
    "app.name": ("แจ้งเรื่องร้องเรียน", "Report a problem"),
    "app.tagline": ("แจ้งปัญหาในชุมชนถึงองค์กรปกครองส่วนท้องถิ่น แล้วติดตามจนแก้ไขเสร็จ",
                    "Tell your local administration about a problem and follow it until it is fixed"),
    "lang.switch": ("English", "ภาษาไทย"),
    "nav.home": ("หน้าแรก", "Home"),
    "nav.login": ("เข้าสู่ระบบเจ้าหน้าที่", "Staff sign-in"),
    "nav.logout": ("ออกจากระบบ", "Sign out"),
    "nav.dispatch": ("ศูนย์รับแจ้ง", "Dispatch"),
    "nav.crew": ("งานภาคสนาม", "Field work"),
    "home.choose": ("เลือกเรื่องที่ต้องการแจ้ง", "What would you like to report?"),
    "home.villages": ("หมู่บ้านในพื้นที่และเรื่องที่กำลังดำเนินการ",
                      "Villages and their open cases"),
    "home.open_cases": ("เรื่องที่กำลังดำเนินการ", "open cases"),
    "home.no_org": ("ยังไม่มีหน่วยงานในระบบ: ผู้ดูแลระบบต้องนำเข้าข้อมูลก่อน",
                    "No organization yet: an administrator must set one up first"),
    "home.demo": ("ข้อมูลสาธิต (สมมุติ) ไม่ใช่หน่วยงานจริง", "Demo data (synthetic), not a real administration"),
    "emergency.title": ("เหตุฉุกเฉิน โทรทันที", "Emergency? Call now"),
    "emergency.medical": ("เจ็บป่วยฉุกเฉิน", "Medical emergency"),
    "emergency.police": ("แจ้งเหตุด่วน ตำรวจ", "Police"),
    "emergency.fire": ("ดับเพลิง", "Fire brigade"),
    "emergency.note": ("การแจ้งผ่านระบบนี้ไม่ใช่การแทนการโทรแจ้งเหตุฉุกเฉิน",
                       "A report here does not replace calling the emergency number"),
    "login.title": ("เข้าสู่ระบบเจ้าหน้าที่", "Staff sign-in"),
    "login.email": ("อีเมล", "E-mail"),
    "login.password": ("รหัสผ่าน", "Password"),
    "login.submit": ("เข้าสู่ระบบ", "Sign in"),
    "login.failed": ("อีเมลหรือรหัสผ่านไม่ถูกต้อง", "Wrong e-mail or password"),
    "login.demo_disabled": ("บัญชีสาธิตใช้ได้เฉพาะในโหมดพัฒนาเท่านั้น",
                            "Demo accounts work only in development mode"),
    "login.required": ("กรุณาเข้าสู่ระบบก่อน", "Please sign in first"),
    "login.forbidden": ("บัญชีของคุณไม่มีสิทธิ์เข้าถึงหน้านี้",
                        "Your account may not open this page"),
    "logout.done": ("ออกจากระบบแล้ว", "You are signed out"),
    "logout.unsent": ("มีงาน {n} รายการที่ยังไม่ได้ส่ง งานเหล่านี้จะถูกส่งเมื่อคุณเข้าสู่ระบบอีกครั้งบนเครื่องนี้ ออกจากระบบหรือไม่?",
                      "{n} closing(s) are not sent yet; they will be sent when you sign in again on "
                      "this phone. Sign out?"),
    "dispatch.map_title": ("ศูนย์รับแจ้ง: แผนที่เรื่องที่กำลังดำเนินการ", "Dispatch: live map of open cases"),
    "dispatch.types": ("ประเภทเรื่อง (ชั้นข้อมูล)", "Case types (layers)"),
    "dispatch.all_statuses": ("ทุกสถานะที่ยังเปิดอยู่", "Every open status"),
    "dispatch.all_departments": ("ทุกกอง/ฝ่าย", "Every department"),
    "dispatch.all_villages": ("ทุกหมู่บ้าน", "Every village"),
    "dispatch.date_from": ("แจ้งตั้งแต่", "Reported from"),
    "dispatch.date_to": ("ถึง", "to"),
    "dispatch.overdue_only": ("เฉพาะที่เกินเวลา", "Overdue only"),
    "dispatch.clear": ("ล้างตัวกรอง", "Clear filters"),
    "dispatch.more_filters": ("ตัวกรอง", "Filters"),
    "dispatch.list_title": ("เรื่องในบริเวณแผนที่", "Cases in view"),
    "dispatch.list_empty": ("ไม่มีเรื่องที่ตรงกับตัวกรองในบริเวณนี้", "No case matches the filters here"),
    "dispatch.no_place_list": ("ไม่มีตำแหน่งบนแผนที่ {n} เรื่อง", "{n} with no place on the map"),
    "dispatch.no_place_title": ("เรื่องที่ไม่มีตำแหน่งบนแผนที่", "Cases with no place on the map"),
    "dispatch.back_to_view": ("กลับไปที่เรื่องในแผนที่", "Back to the cases in view"),
    "dispatch.capped": ("แสดง {n} เรื่องล่าสุด ซูมเข้าหรือกรองเพื่อดูเพิ่ม",
                        "Showing the newest {n}: zoom in or filter to see more"),
    "dispatch.villages_hint": ("ตัวเลขบนหมู่บ้าน = จำนวนเรื่องที่ยังเปิดอยู่ ซูมเข้าเพื่อดูแต่ละเรื่อง",
                               "Numbers on villages = open cases; zoom in to see each case"),
    "dispatch.overdue": ("เกินเวลา", "Overdue"),
    "dispatch.live": ("อัปเดตอัตโนมัติ", "Live"),
    "dispatch.offline": ("ขาดการเชื่อมต่อ กำลังลองใหม่", "Connection lost, retrying"),
    "dispatch.alert_title": ("เหตุฉุกเฉินใหม่ รอรับเรื่อง", "New emergency, waiting to be accepted"),
    "dispatch.alert_accept": ("รับทราบและรับเรื่อง", "Acknowledge and accept"),
    "dispatch.alert_view": ("ดูเรื่อง", "View"),
    "dispatch.sound_off": ("คลิกที่ใดก็ได้บนหน้านี้เพื่อเปิดเสียงเตือน", "Click anywhere on this page to turn on the alarm sound"),
    "dispatch.close": ("ปิด", "Close"),
    "dispatch.village_short": ("ม.", "V."),
    "dispatch.reported": ("แจ้งเมื่อ", "Reported"),
    "dispatch.place": ("สถานที่", "Place"),
    "dispatch.no_place": ("ไม่ได้ระบุตำแหน่ง", "No place given"),
    "dispatch.reporter": ("ผู้แจ้ง (เห็นเฉพาะเจ้าหน้าที่)", "Reporter (staff only)"),
    "dispatch.anonymous": ("ไม่ประสงค์ออกนาม", "Anonymous"),
    "dispatch.followers": ("มีผู้แจ้งเรื่องเดียวกันอีก {n} คน", "{n} more people reported the same"),
    "dispatch.sensitive": ("เรื่องที่ต้องคุ้มครองผู้แจ้ง ห้ามเปิดเผยข้อมูลผู้แจ้ง",
                           "Protect the reporter: never disclose who reported this"),
    "dispatch.duplicate_of": ("ซ้ำกับเรื่อง", "Duplicate of"),
    "dispatch.photos": ("รูปถ่าย", "Photos"),
    "dispatch.no_photos": ("ไม่มีรูปถ่าย", "No photos"),
    "dispatch.assignee": ("ช่างผู้รับผิดชอบ", "Assigned to"),
    "dispatch.step_now": ("ขั้นตอนปัจจุบัน", "Current step"),
    "dispatch.limit": ("เกณฑ์", "limit"),
    "dispatch.took": ("ใช้เวลา", "took"),
    "dispatch.waiting_citizen": ("รอข้อมูลจากผู้แจ้ง (หยุดนับเวลา)", "Waiting for the citizen (clock stopped)"),
    "dispatch.timeline": ("ลำดับเหตุการณ์", "Timeline"),
    "dispatch.event_report": ("ประชาชนแจ้งเรื่อง", "Reported"),
    "dispatch.internal": ("ภายใน", "internal"),
    "dispatch.actions": ("ดำเนินการ", "Actions"),
    "dispatch.no_actions": ("ไม่มีขั้นตอนที่คุณทำได้กับเรื่องนี้ในตอนนี้", "Nothing you can do on this case now"),
    "dispatch.print": ("พิมพ์ใบรับแจ้งเรื่อง (PDF)", "Print the request form (PDF)"),
    "dispatch.note": ("ข้อความ / เหตุผล", "Message / reason"),
    "dispatch.note_public": ("ผู้แจ้งจะเห็นข้อความนี้ในหน้าติดตามเรื่อง", "The citizen sees this on the tracking page"),
    "dispatch.note_internal": ("บันทึกภายใน ผู้แจ้งไม่เห็น", "Internal: the citizen does not see it"),
    "dispatch.choose_crew": ("เลือกช่าง", "Choose a crew member"),
    "dispatch.duplicate_code": ("รหัสเรื่องเดิม (เช่น ABCD-EFGH)", "Code of the original case (e.g. ABCD-EFGH)"),
    "dispatch.confirm": ("ยืนยัน", "Confirm"),
    "dispatch.loading": ("กำลังโหลด…", "Loading…"),
    "dispatch.failed": ("ทำรายการไม่สำเร็จ กรุณาลองใหม่", "That did not work: please try again"),
    "step.intake": ("รับเรื่องและตรวจสอบ", "Intake and check"),
    "step.prepare": ("แจ้งผู้แจ้ง พิมพ์ใบรับแจ้ง มอบหมายงาน", "Inform, print, assign"),
    "step.work": ("ดำเนินการแก้ไข", "The work"),
    "crew.none": ("ยังไม่มีงานที่ได้รับมอบหมาย", "No case is assigned to you"),
    "crew.page": ("งานภาคสนาม", "Field work"),
    "crew.list": ("งานของฉันและงานใกล้ฉัน เรียงตามระยะทาง", "My cases and cases near me, nearest first"),
    "crew.locating": ("กำลังหาตำแหน่งของคุณ…", "Finding your position…"),
    "crew.no_position": ("ไม่ทราบตำแหน่งของคุณ จึงแสดงเฉพาะงานที่ได้รับมอบหมาย",
                         "Your position is unknown: only your assigned cases are shown"),
    "crew.offline": ("ไม่มีสัญญาณ กำลังแสดงข้อมูลล่าสุดที่เก็บไว้ในเครื่อง",
                     "No signal: showing the data last saved on this phone"),
    "crew.load_failed": ("โหลดรายการงานไม่ได้ ลองใหม่อีกครั้ง", "Could not load the cases: try again"),
    "crew.mine": ("งานของฉัน", "Mine"),
    "crew.not_mine": ("งานใกล้เคียง ยังไม่ได้มอบหมายให้คุณ", "Nearby, not assigned to you"),
    "crew.reported": ("แจ้งเมื่อ", "Reported"),
    "crew.citizen_photos": ("รูปจากผู้แจ้ง", "The citizen's photos"),
    "crew.no_photos": ("ผู้แจ้งไม่ได้แนบรูป", "The citizen sent no photo"),
    "crew.no_place": ("ไม่มีตำแหน่งบนแผนที่", "No place on the map"),
    "crew.navigate": ("นำทาง", "Navigate"),
    "crew.start": ("เริ่มงาน", "Start work"),
    "crew.close": ("ปิดงานพร้อมหลักฐาน", "Close with evidence"),
    "crew.sent_back": ("เจ้าหน้าที่ส่งกลับให้แก้ไข", "Sent back by the dispatcher"),
    "crew.close_title": ("ปิดงาน", "Close the case"),
    "crew.photos": ("รูปหลักฐาน (อย่างน้อย 1 รูป)", "Evidence photos (at least one)"),
    "crew.photo_hint": ("ถ่ายให้เห็นผลงานที่จุดเกิดเหตุ ไม่เกิน 5 รูป รูปละไม่เกิน 10 MB",
                        "Show the finished work on site: up to 5 photos, 10 MB each"),
    "crew.take_photo": ("ถ่ายรูป", "Take a photo"),
    "crew.pick_photo": ("เลือกจากคลังรูป", "From the gallery"),
    "crew.remove_photo": ("เอารูปนี้ออก", "Remove this photo"),
    "crew.result": ("ผลการดำเนินงาน", "Result"),
    "crew.result.fixed": ("แก้ไขแล้ว", "Fixed"),
    "crew.result.cannot_fix": ("แก้ไขไม่ได้", "Cannot fix"),
    "crew.reason": ("เหตุผลที่แก้ไขไม่ได้", "Why it cannot be fixed"),
    "crew.reason.needs_parts": ("ต้องรออะไหล่หรืองบประมาณ", "Waiting for parts or budget"),
    "crew.reason.no_access": ("เข้าพื้นที่ไม่ได้", "Cannot reach the place"),
    "crew.reason.not_found": ("ไม่พบปัญหาตามที่แจ้ง", "No problem found there"),
    "crew.reason.not_our_job": ("ต้องให้หน่วยงานอื่นดำเนินการ", "Another agency must do it"),
    "crew.reason.other": ("เหตุผลอื่น (เขียนในบันทึก)", "Other (write it in the note)"),
    "crew.note": ("บันทึกการทำงาน", "Work note"),
    "crew.note_hint": ("เช่น เปลี่ยนหลอดไฟใหม่ 1 ดวง", "e.g. replaced one lamp"),
    "crew.submit": ("ส่งปิดงาน", "Send the closing"),
    "crew.cancel": ("ยกเลิก", "Cancel"),
    "crew.need_photo": ("กรุณาถ่ายหรือเลือกรูปหลักฐานอย่างน้อย 1 รูป",
                        "Take or choose at least one evidence photo"),
    "crew.not_image": ("ไฟล์นี้ไม่ใช่รูปภาพ", "This file is not an image"),
    "crew.too_big": ("รูปภาพแต่ละรูปต้องมีขนาดไม่เกิน 10 MB", "Each photo must be at most 10 MB"),
    "crew.too_many": ("ส่งรูปได้ไม่เกิน 5 รูป", "At most 5 photos"),
    "crew.need_result": ("กรุณาเลือกผลการดำเนินงาน", "Choose the result"),
    "crew.need_reason": ("กรุณาเลือกเหตุผลที่แก้ไขไม่ได้", "Choose why it cannot be fixed"),
    "crew.need_note": ("กรุณาเขียนบันทึกสั้น ๆ ว่าทำอะไรไปบ้าง", "Write a short note of what was done"),
    "crew.waiting": ("รอส่ง", "Waiting to send"),
    "crew.waiting_count": ("{n} งานรอส่ง จะส่งให้เองเมื่อมีสัญญาณ",
                           "{n} waiting to send: they go by themselves when there is signal"),
    "crew.sending": ("กำลังส่ง…", "Sending…"),
    "crew.closed": ("ปิดงาน {code} แล้ว", "Case {code} is closed"),
    "crew.closed_review": ("ปิดงาน {code} แล้ว แต่หลักฐานต้องให้เจ้าหน้าที่ตรวจสอบ: {why}",
                           "Case {code} is closed, but a dispatcher must review the evidence: {why}"),
    "crew.started": ("เริ่มงาน {code} แล้ว", "Work on {code} started"),
    "crew.failed": ("ส่งไม่สำเร็จ", "Not sent"),
    "crew.discard": ("ลบรายการนี้", "Discard"),
    "crew.sign_in_again": ("กรุณาเข้าสู่ระบบใหม่ งานที่รอส่งยังเก็บอยู่ในเครื่อง",
                           "Please sign in again: the waiting closings are kept on this phone"),
    "crew.check.not_reused": ("รูปที่ {n} ซ้ำกับรูปที่มีอยู่แล้วในระบบ",
                              "photo {n} matches a photo already on file"),
    "crew.check.taken_after_report": ("รูปที่ {n} ถ่ายก่อนวันที่แจ้งเรื่อง",
                                      "photo {n} was taken before the report"),
    "crew.check.near_case": ("ตำแหน่งขณะปิดงานห่างจากจุดแจ้งเกิน {limit} ม.",
                             "closed more than {limit} m from the case"),
    "evidence.title": ("ผลการปิดงานและหลักฐาน", "Closing and evidence"),
    "evidence.needs_review": ("หลักฐานต้องตรวจสอบ", "Evidence needs review"),
    "evidence.accepted": ("ยอมรับหลักฐานแล้ว", "Evidence accepted"),
    "evidence.sent_back": ("ส่งกลับให้ช่างแก้ไขแล้ว", "Sent back to the crew"),
    "evidence.closed_by": ("ปิดงานโดย {name} เมื่อ {at}", "Closed by {name} on {at}"),
    "evidence.position": ("ตำแหน่งขณะปิดงาน", "Where the crew was"),
    "evidence.no_position": ("โทรศัพท์ไม่ได้ส่งตำแหน่งมา", "The phone gave no position"),
    "evidence.check.real_image": ("รูปที่ {n} เป็นไฟล์รูปภาพจริง", "Photo {n} is a real image"),
    "evidence.check.not_reused": ("รูปที่ {n} ไม่ซ้ำกับรูปของผู้แจ้งหรือหลักฐานเดิม",
                                  "Photo {n} is not a copy of the citizen's or earlier evidence"),
    "evidence.check.taken_after_report": ("รูปที่ {n} ถ่ายหลังเวลาที่แจ้ง",
                                          "Photo {n} was taken after the report"),
    "evidence.check.near_case": ("ช่างอยู่ห่างจุดแจ้งไม่เกิน {limit} ม. ขณะปิดงาน",
                                 "The crew was within {limit} m of the case"),
    "evidence.ok": ("ผ่าน", "Passed"),
    "evidence.failed": ("ไม่ผ่าน", "Failed"),
    "evidence.unknown": ("ตรวจไม่ได้", "Could not tell"),
    "evidence.same_as_report": ("ซ้ำกับรูปของผู้แจ้ง", "same as the citizen's photo"),
    "evidence.same_as_evidence": ("ซ้ำกับหลักฐานของเรื่อง {code}", "same as the evidence of case {code}"),
    "evidence.meters": ("ห่าง {m} ม.", "{m} m away"),
    "evidence.taken_at": ("ถ่ายเมื่อ {at}", "taken {at}"),
    "evidence.result_title": ("ผลการดำเนินงาน", "What was done"),
    "evidence.before": ("ก่อน (รูปจากผู้แจ้ง)", "Before (the citizen's photos)"),
    "evidence.after": ("หลัง (รูปจากเจ้าหน้าที่)", "After (the crew's photos)"),
    "evidence.no_before": ("ผู้แจ้งไม่ได้แนบรูป", "No photo was sent with the report"),
    "evidence.after_pending": ("รูปหลังดำเนินการอยู่ระหว่างตรวจสอบ", "The after photos are being checked"),
    "col.code": ("รหัส", "Code"),
    "col.date": ("วันที่แจ้ง", "Reported"),
    "col.type": ("ประเภท", "Type"),
    "col.village": ("หมู่บ้าน", "Village"),
    "col.department": ("หน่วยงานที่รับผิดชอบ", "Department"),
    "col.status": ("สถานะ", "Status"),
    "col.details": ("รายละเอียด", "Details"),
    "error.title": ("เกิดข้อผิดพลาด", "Something went wrong"),
    "error.csrf": ("แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
                   "The form expired: reload the page and try again"),
    "error.not_found": ("ไม่พบหน้าที่ต้องการ", "Page not found"),
    "error.too_large": ("ไฟล์ที่ส่งมีขนาดใหญ่เกินไป", "The upload is too large"),
    "notify_admin.title": ("การแจ้งเตือนที่ส่งไม่สำเร็จ", "Notifications that did not go out"),
    "notify_admin.intro": ("ข้อความถึงประชาชนและเจ้าหน้าที่ (อีเมล, LINE) ที่ส่งไม่ได้ หรือรอนานเกิน 15 นาที",
                           "Messages to citizens and staff (e-mail, LINE) that failed or have waited "
                           "over 15 minutes"),
    "notify_admin.problems": ("ต้องตรวจสอบ", "Needs a look"),
    "notify_admin.no_problems": ("ไม่มีข้อความค้างส่ง ทุกอย่างส่งเรียบร้อย", "Nothing stuck: every message went out"),
    "notify_admin.status.pending": ("รอส่ง", "waiting"),
    "notify_admin.status.sending": ("กำลังส่ง", "sending"),
    "notify_admin.status.sent": ("ส่งแล้ว", "sent"),
    "notify_admin.status.failed": ("ส่งไม่สำเร็จ", "failed"),
    "notify_admin.col.case": ("เรื่อง", "Case"),
    "notify_admin.col.message": ("ข้อความ", "Message"),
    "notify_admin.col.to": ("ถึง", "To"),
    "notify_admin.col.state": ("สถานะ", "State"),
    "notify_admin.col.error": ("ข้อผิดพลาดล่าสุด", "Last error"),
    "notify_admin.kind.accepted": ("แจ้งผู้ร้อง: รับเรื่องแล้ว", "Citizen: accepted"),
    "notify_admin.kind.info_requested": ("แจ้งผู้ร้อง: ขอข้อมูลเพิ่ม", "Citizen: information requested"),
    "notify_admin.kind.resolved": ("แจ้งผู้ร้อง: ดำเนินการแล้ว", "Citizen: resolved"),
    "notify_admin.kind.new_case": ("แจ้งเจ้าหน้าที่: เรื่องใหม่", "Staff: new case"),
    "notify_admin.kind.overdue": ("แจ้งเจ้าหน้าที่: เกินกำหนดเวลา", "Staff: overdue"),
    "notify_admin.channel.email": ("อีเมล", "E-mail"),
    "notify_admin.channel.line": ("LINE", "LINE"),
    "notify_admin.attempts": ("ลองส่งแล้ว {n} ครั้ง", "{n} attempt(s)"),
    "notify_admin.retry": ("ส่งใหม่", "Retry"),
    "notify_admin.retried": ("จะส่งข้อความนี้ใหม่ภายในไม่กี่วินาที", "The message will be sent again in a few seconds"),
    "notify_admin.departments": ("ช่องทางแจ้งเตือนเจ้าหน้าที่ของแต่ละกอง", "Staff alerts per department"),
    "notify_admin.departments_help": ("เรื่องใหม่และเรื่องที่เกินกำหนดเวลาจะแจ้งไปที่อีเมลและ/หรือกลุ่ม LINE "
                                      "ของกองที่รับผิดชอบ (บัญชี LINE ทางการต้องอยู่ในกลุ่มนั้น) เว้นว่างเพื่อปิด",
                                      "New and overdue cases are announced to the responsible department's "
                                      "e-mail and/or LINE group (the Official Account must be a member). "
                                      "Leave empty to switch off"),
    "notify_admin.email": ("อีเมลของกอง", "Department e-mail"),
    "notify_admin.line_group": ("รหัสกลุ่ม LINE (groupId)", "LINE group ID (groupId)"),
    "notify_admin.save": ("บันทึก", "Save"),
    "notify_admin.saved": ("บันทึกช่องทางแจ้งเตือนแล้ว", "Alert settings saved"),
    "status.new": ("รอรับเรื่อง", "New"),
    "status.accepted": ("รับเรื่องแล้ว", "Accepted"),
    "status.info_requested": ("ขอข้อมูลเพิ่มเติม", "More information requested"),
    "status.assigned": ("มอบหมายช่างแล้ว", "Assigned"),
    "status.in_progress": ("กำลังดำเนินการ", "In progress"),
    "status.resolved": ("ดำเนินการแล้ว", "Done"),
    "status.rejected": ("ไม่รับเรื่อง", "Rejected"),
    "status.duplicate": ("เรื่องซ้ำ", "Duplicate"),
    "village.none": ("ไม่ระบุหมู่บ้าน", "No village"),
    # --- citizens: report form, status page, public cases (issue 3) ---
    "report.emergency_flag": ("ฉุกเฉิน", "Emergency"),
    "report.back": ("เลือกเรื่องอื่น", "Choose another type"),
    "report.sensitive_note": ("เรื่องนี้เป็นความลับ: ไม่แสดงต่อสาธารณะ และไม่ต้องบอกชื่อก็ได้",
                              "This report is confidential: it is never shown in public, and you need not give your name"),
    "report.photos_again": ("กรุณาเลือกรูปภาพอีกครั้ง (เบราว์เซอร์ไม่เก็บรูปที่เลือกไว้)",
                            "Please choose your photos again (the browser does not keep them)"),
    "report.where": ("เกิดที่ไหน", "Where is it?"),
    "report.map_help": ("แตะแผนที่เพื่อปักหมุด ลากหมุดเพื่อย้ายตำแหน่ง",
                        "Tap the map to drop a pin; drag the pin to move it"),
    "report.use_location": ("ใช้ตำแหน่งปัจจุบันของฉัน", "Use my location"),
    "report.geo_finding": ("กำลังหาตำแหน่งของคุณ…", "Finding your location…"),
    "report.geo_found": ("ปักหมุดที่ตำแหน่งของคุณแล้ว ลากหมุดได้ถ้ายังไม่ตรง",
                         "Pinned at your location: drag the pin if it is not exact"),
    "report.geo_denied": ("ไม่ได้รับอนุญาตให้ใช้ตำแหน่ง กรุณาแตะแผนที่เพื่อปักหมุดเอง หรือเปิดสิทธิ์ตำแหน่งในการตั้งค่าของเบราว์เซอร์",
                          "Location permission was refused: tap the map to drop a pin, or allow location in the browser's settings"),
    "report.geo_unavailable": ("หาตำแหน่งไม่ได้ในขณะนี้ กรุณาแตะแผนที่เพื่อปักหมุดเอง",
                               "Your location could not be found: tap the map to drop a pin"),
    "report.geo_unsupported": ("เบราว์เซอร์นี้ไม่รองรับการหาตำแหน่ง กรุณาแตะแผนที่เพื่อปักหมุด",
                               "This browser cannot find your location: tap the map to drop a pin"),
    "report.no_village": ("อยู่ในพื้นที่ แต่ไม่อยู่ในหมู่บ้านใด", "Inside the area, but in no village"),
    "report.outside": ("ตำแหน่งนี้อยู่นอกพื้นที่ที่ระบบนี้ให้บริการ กรุณาปักหมุดใหม่",
                       "This place is outside every area this service covers: move the pin"),
    "report.bad_coordinates": ("พิกัดไม่ถูกต้อง: ละติจูด -90 ถึง 90 และลองจิจูด -180 ถึง 180",
                               "Invalid coordinates: latitude -90 to 90, longitude -180 to 180"),
    "report.checking": ("กำลังตรวจสอบตำแหน่ง…", "Checking the place…"),
    "report.need_place": ("กรุณาปักหมุดบนแผนที่หรือพิมพ์พิกัดก่อนส่ง",
                          "Drop a pin on the map or type coordinates before sending"),
    "report.type_coordinates": ("พิมพ์พิกัดเอง", "Type coordinates"),
    "report.coordinates_help": ("ตัวเลขทศนิยม เช่น 17.351359 และ 104.621336 (วางแบบ \"ละติจูด, ลองจิจูด\" ในช่องแรกได้)",
                                "Decimal degrees, e.g. 17.351359 and 104.621336 (you may paste \"lat, lon\" into the first box)"),
    "report.latitude": ("ละติจูด", "Latitude"),
    "report.longitude": ("ลองจิจูด", "Longitude"),
    "report.nearby_title": ("มีคนแจ้งเรื่องนี้ไว้แล้วหรือไม่?", "Already reported?"),
    "report.nearby_help": ("เรื่องประเภทเดียวกันที่ยังไม่เสร็จ ภายในรัศมี 100 เมตร ถ้าเป็นปัญหาเดียวกัน กด \"เป็นปัญหาเดียวกัน\" แทนการแจ้งซ้ำ",
                           "Open cases of this type within 100 m. If one is your problem, press \"Same problem\" instead of reporting it again"),
    "report.same_problem": ("เป็นปัญหาเดียวกัน (+1)", "Same problem (+1)"),
    "report.meters": ("ม.", "m"),
    "report.followers": ("คนติดตาม", "following"),
    "report.view_case": ("ดูเรื่องนี้", "View"),
    "report.photos": ("รูปภาพ", "Photos"),
    "report.photos_help": ("ถ่ายหรือเลือกจากคลังรูป ไม่เกิน {n} รูป รูปละไม่เกิน {mb} MB (JPEG, PNG, WebP)",
                           "Take or choose up to {n} photos, {mb} MB each (JPEG, PNG, WebP)"),
    "report.add_photos": ("ถ่ายรูป / เลือกรูป", "Take or choose photos"),
    "report.remove_photo": ("เอารูปนี้ออก", "Remove this photo"),
    "report.too_many_photos": ("แนบรูปภาพได้ไม่เกิน 5 รูป", "At most 5 photos per report"),
    "report.photo_too_large": ("รูปภาพแต่ละรูปต้องมีขนาดไม่เกิน 10 MB", "Each photo must be at most 10 MB"),
    "report.photo_type": ("ไฟล์นี้ไม่ใช่รูปภาพ JPEG, PNG หรือ WebP", "This file is not a JPEG, PNG or WebP image"),
    "report.details": ("รายละเอียด", "Details"),
    "report.details_placeholder": ("เกิดอะไรขึ้น จุดไหน ตั้งแต่เมื่อไร", "What happened, exactly where, since when"),
    "report.contact": ("ผู้แจ้ง (ไม่บังคับ)", "Your contact (optional)"),
    "report.contact_help": ("เว้นว่างได้หากไม่ประสงค์ออกนาม ข้อมูลนี้เจ้าหน้าที่เห็นเท่านั้น ไม่แสดงต่อสาธารณะ",
                            "Leave empty to stay anonymous. Only staff see this; it is never shown in public"),
    "report.name": ("ชื่อ", "Name"),
    "report.phone": ("เบอร์โทรศัพท์", "Phone"),
    "report.line_id": ("LINE ID", "LINE ID"),
    "report.email": ("อีเมล", "E-mail"),
    "report.email_help": ("รับแจ้งทางอีเมลเมื่อเรื่องคืบหน้า", "We e-mail you when your case moves on"),
    "report.submit": ("ส่งเรื่อง", "Send report"),
    "report.sending": ("กำลังส่ง…", "Sending…"),
    "track.title": ("ติดตามเรื่อง", "Follow a case"),
    "track.lookup_title": ("ติดตามเรื่องที่แจ้งไว้", "Follow a report"),
    "track.lookup_button": ("ดูสถานะ", "See status"),
    "track.code": ("รหัสติดตาม", "Tracking code"),
    "track.received": ("ส่งเรื่องเรียบร้อยแล้ว", "Your report was sent"),
    "track.your_code": ("รหัสติดตามเรื่องของคุณ", "Your tracking code"),
    "track.keep_code": ("จดรหัสนี้ไว้ หรือบันทึกหน้านี้/QR ด้านล่าง เพื่อติดตามความคืบหน้า",
                        "Keep this code, or save this page or the QR code below, to follow your case"),
    "track.followed": ("บันทึกแล้ว: คุณติดตามเรื่องนี้ (+1) แทนการแจ้งซ้ำ",
                       "Saved: you follow this case (+1) instead of reporting it again"),
    "track.village_no": ("หมู่", "Village"),
    "track.no_place": ("ไม่ระบุสถานที่", "No place given"),
    "track.due": ("คาดว่าจะแล้วเสร็จ", "Expected completion"),
    "track.due_help": ("กำหนดตามมาตรฐานเวลาการให้บริการของเรื่องประเภทนี้",
                       "From the service time limits for this type of case"),
    "track.overdue": ("เกินกำหนด", "overdue"),
    "track.closed_at": ("ปิดเรื่องเมื่อ", "Closed"),
    "track.followers": ("ผู้แจ้งปัญหาเดียวกัน", "Others with the same problem"),
    "track.photos": ("รูปภาพ", "Photos"),
    "track.photo_alt": ("รูปที่ {n}", "Photo {n}"),
    "track.timeline": ("ความคืบหน้า", "Progress"),
    "track.share": ("ลิงก์และ QR สำหรับติดตามเรื่อง", "Link and QR code to follow this case"),
    "track.qr_alt": ("QR code ของลิงก์ติดตามเรื่องนี้", "QR code of this case's link"),
    "track.report_another": ("แจ้งเรื่องใหม่", "Report something else"),
    "timeline.report": ("รับแจ้งเรื่อง", "Report received"),
    "timeline.accept": ("เจ้าหน้าที่รับเรื่องแล้ว", "Accepted by the staff"),
    "timeline.request_info": ("เจ้าหน้าที่ขอข้อมูลเพิ่มเติม", "The staff asked for more information"),
    "timeline.reply": ("ได้รับข้อมูลเพิ่มเติมแล้ว", "More information received"),
    "timeline.assign": ("มอบหมายช่างแล้ว", "Assigned to a crew"),
    "timeline.start": ("เริ่มดำเนินการ", "Work started"),
    "timeline.resolve": ("ดำเนินการแล้วเสร็จ", "Done"),
    "timeline.reject": ("ไม่รับเรื่อง", "Not accepted"),
    "timeline.mark_duplicate": ("รวมกับเรื่องที่แจ้งไว้ก่อนแล้ว", "Merged with an earlier report"),
    "timeline.reopen": ("เปิดเรื่องอีกครั้ง", "Reopened"),
    "cases.title": ("เรื่องที่ประชาชนแจ้ง", "Reported cases"),
    "cases.intro": ("เรื่องที่แจ้งเข้ามาและสถานะล่าสุด", "What was reported and where it stands"),
    "cases.link": ("ดูเรื่องที่แจ้งทั้งหมดในพื้นที่", "See every case reported in the area"),
    "cases.all_types": ("ทุกประเภท", "All types"),
    "cases.all_villages": ("ทุกหมู่บ้าน", "All villages"),
    "cases.all_statuses": ("ทุกสถานะ", "All statuses"),
    "cases.open": ("ยังไม่เสร็จ", "Not done yet"),
    "cases.filter": ("แสดง", "Show"),
    "cases.map_truncated": ("แผนที่แสดงเฉพาะ 2,000 เรื่องล่าสุด", "The map shows the newest 2,000 cases only"),
    "cases.none": ("ไม่พบเรื่องตามเงื่อนไขที่เลือก", "No case matches these filters"),
    "cases.pages": ("หน้า", "Pages"),
    "cases.newer": ("ใหม่กว่า", "Newer"),
    "cases.older": ("เก่ากว่า", "Older"),
    "cases.download": ("ดาวน์โหลดทุกเรื่องตามเงื่อนไขนี้", "Download every matching case"),
    "cases.download_csv": ("CSV (Excel)", "CSV (Excel)"),
    "cases.download_geojson": ("GeoJSON (แผนที่ GIS)", "GeoJSON (GIS maps)"),
    "line.greeting": ("สวัสดีค่ะ ขอบคุณที่เพิ่มเพื่อน\nแจ้งปัญหาในชุมชน (ไฟฟ้า ถนน ขยะ น้ำ ฯลฯ) ได้ที่ลิงก์นี้ "
                      "หรือกด \"ส่งตำแหน่ง\" ด้านล่าง\n{link}\nติดตามเรื่อง: พิมพ์รหัสติดตาม เช่น ABCD-2345",
                      "Hello, thank you for adding us.\nReport a local problem here, or tap "
                      "\"Send location\" below\n{link}\nFollow a case: send its code, e.g. ABCD-2345"),
    "line.report_link": ("แจ้งเรื่องได้ที่ลิงก์นี้ หรือกด \"ส่งตำแหน่ง\" เพื่อปักหมุดให้อัตโนมัติ\n{link}",
                         "Report here, or tap \"Send location\" to set the place\n{link}"),
    "line.location": ("ได้รับตำแหน่งแล้ว เลือกเรื่องที่ต้องการแจ้ง (ปักหมุดไว้ให้แล้ว)\n{link}",
                      "Place received: choose what to report (the pin is set)\n{link}"),
    "line.outside": ("ตำแหน่งนี้อยู่นอกพื้นที่ที่ระบบนี้ให้บริการ แจ้งเรื่องและปักหมุดเองได้ที่\n{link}",
                     "This place is outside the area this service covers; report and set the "
                     "place here\n{link}"),
    "line.status": ("เรื่อง {code}: {status}", "Case {code}: {status}"),
    "line.status_sensitive": ("เรื่อง {code}: ได้รับเรื่องแล้ว", "Case {code}: received"),
    "line.unknown_code": ("ไม่พบเรื่องที่มีรหัสนี้ กรุณาตรวจสอบรหัสอีกครั้ง (เช่น ABCD-2345)",
                          "No case has this code: please check it (e.g. ABCD-2345)"),
    "line.help": ("พิมพ์รหัสติดตาม (เช่น ABCD-2345) เพื่อดูสถานะเรื่อง หรือกด \"ส่งตำแหน่ง\" "
                  "เพื่อแจ้งเรื่องใหม่\n{link}",
                  "Send a case code (e.g. ABCD-2345) to see its status, or tap \"Send location\" "
                  "to report a new problem\n{link}"),
    "line.send_location": ("ส่งตำแหน่ง", "Send location"),
    "line.group_joined": ("เชื่อมต่อกลุ่มนี้แล้ว ผู้ดูแลระบบใส่รหัสกลุ่มนี้ในการตั้งค่ากอง/ฝ่าย "
                          "เพื่อรับแจ้งเรื่องใหม่ในกลุ่มนี้:\n{group}",
                          "Group connected. An administrator enters this group id in the "
                          "department's settings to get new cases here:\n{group}"),
    "report.line_linked": ("คุณจะได้รับแจ้งความคืบหน้าทาง LINE", "You will hear how it goes on LINE"),
    "report.line_expired": ("ลิงก์จาก LINE หมดอายุแล้ว แจ้งเรื่องได้ตามปกติแต่จะไม่ได้รับแจ้งทาง LINE "
                            "(ส่งตำแหน่งใน LINE อีกครั้งเพื่อรับลิงก์ใหม่)",
                            "The LINE link has expired: you can still report, but LINE will not "
                            "tell you how it goes (send your location in LINE for a new link)"),
}


def current_language() -> str:
    return g.get("lang", "th")


def t(key: str, **values) -> str:
    th, en = MESSAGES[key]
    text = en if current_language() == "en" else th
    return text.format(**values) if values else text


def localized(obj, field: str = "name") -> str:
    """obj.name_th or obj.name_en, whichever the reader chose (Thai when English is missing)."""
    if current_language() == "en":
        return getattr(obj, f"{field}_en", None) or getattr(obj, f"{field}_th")
    return getattr(obj, f"{field}_th")


def format_date(value: datetime | None, with_time: bool = False, lang: str | None = None) -> str:
    """'13 ก.ย. 2569' in Thai (Buddhist Era, Bangkok time), '13 Sep 2026' in English."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_TZ) if value.tzinfo else value
    lang = lang or current_language()
    if lang == "en":
        text = f"{local.day} {EN_MONTHS_SHORT[local.month - 1]} {local.year}"
    else:
        text = f"{local.day} {THAI_MONTHS_SHORT[local.month - 1]} {local.year + BE_OFFSET}"
    return f"{text} {local:%H:%M}" if with_time else text


def switch_language_url() -> str:
    """This page in the other language, keeping its query (?next=..., filters)."""
    other = "th" if current_language() == "en" else "en"
    args = request.args.to_dict(flat=False)
    args["lang"] = [other]
    return request.path + "?" + urlencode(args, doseq=True)


def _choose_language():
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.lang, g.lang_asked = asked, True
    else:
        cookie = request.cookies.get("lang")
        g.lang = cookie if cookie in LANGUAGES else "th"


def _remember_language(response):
    if g.get("lang_asked"):
        response.set_cookie("lang", g.lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_choose_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(t=t, localized=localized, current_language=current_language,
                                 switch_language_url=switch_language_url)
    app.jinja_env.filters["thai_date"] = format_date
    app.jinja_env.filters["status_label"] = lambda status: t(f"status.{status}")
