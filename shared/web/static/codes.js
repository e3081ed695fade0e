/* The contract's code lists (shared/contract/codes.py, docs/contract.md) said as words, in
   Bahasa Indonesia and English: the one place pages take them from, through
   Pantau.codes.label(list, code). A list is named after its class in snake case (CaseCategory ->
   case_category); agency_status is the registry's licence status. The object below is plain
   JSON: tests/unit/test_code_labels.py reads it and fails when a code of the contract lacks
   words in either language, or words name a code the contract does not have.
   Load it after pantau.js: <script src="/static/codes.js" defer></script>. */
Pantau.codes.add(
{
  "sex": {
    "female": {"id": "Perempuan", "en": "Women"},
    "male": {"id": "Laki-laki", "en": "Men"}
  },
  "channel": {
    "g2g": {"id": "Antarpemerintah (G to G)", "en": "Government to government (G to G)"},
    "g2b": {"id": "Pemerintah ke pemberi kerja (G to B)", "en": "Government to employer (G to B)"},
    "p3mi": {"id": "Melalui perusahaan penempatan (P3MI)", "en": "Through a placement agency (P3MI)"},
    "individual": {"id": "Perseorangan (mandiri)", "en": "On one's own (individual)"}
  },
  "occupation": {
    "housekeeper": {"id": "Penata laksana rumah tangga", "en": "Housekeeper"},
    "baby_carer": {"id": "Pengasuh bayi", "en": "Baby carer"},
    "elderly_carer": {"id": "Perawat lansia", "en": "Carer of the elderly"},
    "cook": {"id": "Juru masak", "en": "Cook"},
    "family_driver": {"id": "Sopir keluarga", "en": "Family driver"},
    "gardener": {"id": "Tukang kebun", "en": "Gardener"},
    "child_carer": {"id": "Pengasuh anak", "en": "Child carer"},
    "cleaner": {"id": "Petugas kebersihan", "en": "Cleaner"},
    "farm_worker": {"id": "Pekerja ladang atau perkebunan", "en": "Farm or plantation worker"},
    "fishing_crew": {"id": "Awak kapal perikanan", "en": "Fishing vessel crew"},
    "factory_worker": {"id": "Pekerja pabrik", "en": "Factory worker"},
    "construction_worker": {"id": "Pekerja konstruksi", "en": "Construction worker"},
    "nurse": {"id": "Perawat", "en": "Nurse"},
    "caregiver": {"id": "Perawat di rumah tangga (caregiver)", "en": "Household caregiver"},
    "hospitality_worker": {"id": "Pekerja perhotelan dan restoran", "en": "Hospitality worker"},
    "merchant_seafarer": {"id": "Awak kapal niaga", "en": "Merchant seafarer"},
    "other": {"id": "Pekerjaan lain", "en": "Other occupation"},
    "institutional_caregiver": {"id": "Perawat di panti atau rumah sakit", "en": "Caregiver in a home or hospital"}
  },
  "fee_component": {
    "departure_ticket": {"id": "Tiket keberangkatan", "en": "Departure ticket"},
    "return_ticket": {"id": "Tiket kepulangan", "en": "Return ticket"},
    "work_visa": {"id": "Visa kerja", "en": "Work visa"},
    "contract_legalisation": {"id": "Legalisasi perjanjian kerja", "en": "Legalisation of the work contract"},
    "job_training": {"id": "Pelatihan kerja", "en": "Job training"},
    "competency_certification": {"id": "Sertifikat kompetensi", "en": "Competency certificate"},
    "agency_service_fee": {"id": "Jasa perusahaan penempatan", "en": "Placement agency's service fee"},
    "passport": {"id": "Paspor", "en": "Passport"},
    "police_clearance": {"id": "SKCK", "en": "Police clearance (SKCK)"},
    "social_security": {"id": "Jaminan sosial (BPJS Ketenagakerjaan)", "en": "Social security (BPJS Ketenagakerjaan)"},
    "health_exam": {"id": "Pemeriksaan kesehatan dan psikologi", "en": "Health and psychological examination"},
    "destination_health_exam": {"id": "Pemeriksaan kesehatan tambahan negara tujuan", "en": "Extra health examination of the destination"},
    "local_transport": {"id": "Transportasi lokal", "en": "Local transport"},
    "accommodation": {"id": "Akomodasi", "en": "Accommodation"},
    "other": {"id": "Biaya lain", "en": "Other cost"}
  },
  "legality": {
    "illegal": {"id": "Ilegal", "en": "Illegal"},
    "warning": {"id": "Peringatan", "en": "Warning"}
  },
  "level": {
    "village": {"id": "Desa", "en": "Village"},
    "regency": {"id": "Kabupaten/kota", "en": "Regency/city"},
    "province": {"id": "Provinsi", "en": "Province"},
    "national": {"id": "Nasional", "en": "National"}
  },
  "worker_status": {
    "registered": {"id": "Menunggu verifikasi", "en": "Awaiting verification"},
    "verified": {"id": "Terverifikasi", "en": "Verified"},
    "departed": {"id": "Berangkat", "en": "Departed"},
    "returned": {"id": "Kembali", "en": "Returned"}
  },
  "case_category": {
    "repatriation": {"id": "Ingin dipulangkan", "en": "Wants to come home"},
    "unpaid_wages": {"id": "Gaji tidak dibayar", "en": "Unpaid wages"},
    "deportation": {"id": "Dideportasi", "en": "Deportation"},
    "failed_to_depart": {"id": "Gagal berangkat", "en": "Failed to depart"},
    "died_abroad": {"id": "Meninggal dunia di luar negeri", "en": "Died abroad"},
    "job_offer_fraud": {"id": "Penipuan peluang kerja", "en": "Fraudulent job offer"},
    "sick": {"id": "Sakit", "en": "Sick"},
    "social_security": {"id": "Masalah jaminan sosial", "en": "Social security problem"},
    "pregnancy": {"id": "Hamil", "en": "Pregnancy"},
    "trafficking": {"id": "Tindak pidana perdagangan orang (TPPO)", "en": "Trafficking in persons"},
    "work_not_as_contracted": {"id": "Pekerjaan tidak sesuai perjanjian kerja", "en": "Work not as contracted"},
    "employer_violence": {"id": "Kekerasan oleh majikan", "en": "Violence by the employer"},
    "mental_illness": {"id": "Gangguan jiwa", "en": "Mental illness"},
    "lost_contact": {"id": "Putus komunikasi", "en": "Lost contact"},
    "sexual_harassment": {"id": "Pelecehan seksual", "en": "Sexual harassment"},
    "illegal_fee": {"id": "Biaya penempatan ilegal", "en": "Illegal fee"},
    "debt_bondage": {"id": "Jeratan utang", "en": "Debt bondage"},
    "job_information_manipulation": {"id": "Manipulasi informasi pekerjaan", "en": "Manipulated job information"}
  },
  "gbv_type": {
    "rape": {"id": "Perkosaan", "en": "Rape"},
    "sexual_assault": {"id": "Kekerasan seksual", "en": "Sexual assault"},
    "physical_assault": {"id": "Kekerasan fisik", "en": "Physical assault"},
    "forced_marriage": {"id": "Perkawinan paksa", "en": "Forced marriage"},
    "denial_of_resources": {"id": "Penelantaran (sumber daya, kesempatan atau layanan ditolak)", "en": "Denial of resources, opportunities or services"},
    "psychological_abuse": {"id": "Kekerasan psikis atau emosional", "en": "Psychological or emotional abuse"}
  },
  "case_status": {
    "new": {"id": "Baru", "en": "New"},
    "assessment": {"id": "Asesmen", "en": "Assessment"},
    "case_plan": {"id": "Rencana penanganan", "en": "Case plan"},
    "service_provision": {"id": "Pemberian layanan", "en": "Service provision"},
    "services_implemented": {"id": "Layanan telah diberikan", "en": "Services implemented"},
    "closed": {"id": "Ditutup", "en": "Closed"}
  },
  "case_action": {
    "medical": {"id": "Layanan medis", "en": "Medical care"},
    "psychosocial": {"id": "Dukungan psikososial", "en": "Psychosocial support"},
    "legal_assistance": {"id": "Bantuan hukum", "en": "Legal assistance"},
    "mediation": {"id": "Mediasi", "en": "Mediation"},
    "agency_clarification": {"id": "Klarifikasi kepada perusahaan penempatan", "en": "Clarification with the agency"},
    "insurance_claim": {"id": "Klaim asuransi atau jaminan sosial", "en": "Insurance or social-security claim"},
    "repatriation": {"id": "Pemulangan", "en": "Repatriation"},
    "reintegration": {"id": "Rehabilitasi dan reintegrasi", "en": "Rehabilitation and reintegration"},
    "fee_refund": {"id": "Pengembalian biaya", "en": "Fee refund"},
    "debt_transfer": {"id": "Pengambilalihan utang", "en": "Debt transfer"},
    "assessment": {"id": "Asesmen", "en": "Assessment"},
    "case_plan": {"id": "Rencana penanganan", "en": "Case plan"},
    "services_completed": {"id": "Layanan selesai", "en": "Services completed"},
    "documents_completed": {"id": "Dokumen dilengkapi", "en": "Documents completed"},
    "clarification_requested": {"id": "Klarifikasi diminta dari pengadu", "en": "Clarification asked of the complainant"},
    "clarification_answered": {"id": "Klarifikasi dijawab", "en": "Clarification answered"},
    "contact_failed": {"id": "Pengadu tidak dapat dihubungi", "en": "Complainant not reached"},
    "complainant_reached": {"id": "Pengadu berhasil dihubungi", "en": "Complainant reached"},
    "unresolvable_notified": {"id": "Pengadu diberi tahu kasus tidak dapat diselesaikan", "en": "Complainant told the case cannot be resolved"}
  },
  "intake_channel": {
    "walk_in": {"id": "Datang langsung", "en": "Walk-in"},
    "phone": {"id": "Telepon", "en": "Phone"},
    "messaging": {"id": "Pesan singkat (WhatsApp, SMS)", "en": "Messaging (WhatsApp, SMS)"},
    "email": {"id": "Surel", "en": "Email"},
    "letter": {"id": "Surat", "en": "Letter"},
    "social_media": {"id": "Media sosial", "en": "Social media"},
    "embassy": {"id": "Perwakilan RI di luar negeri", "en": "Indonesian mission abroad"},
    "organisation": {"id": "Rujukan organisasi", "en": "Referred by an organisation"},
    "outreach": {"id": "Temuan petugas", "en": "Found by an officer"},
    "public_report": {"id": "Laporan pekerja atau keluarga", "en": "Report by a worker or family"}
  },
  "due_clock": {
    "documents_incomplete": {"id": "Dokumen belum lengkap (30 hari)", "en": "Documents incomplete (30 days)"},
    "clarification_unanswered": {"id": "Klarifikasi belum dijawab (15 hari kerja)", "en": "Clarification unanswered (15 working days)"},
    "complainant_unreachable": {"id": "Pengadu tidak dapat dihubungi (60 hari)", "en": "Complainant unreachable (60 days)"},
    "unresolvable_notice": {"id": "Pemberitahuan tidak dapat diselesaikan (6 bulan)", "en": "Told it cannot be resolved (6 months)"}
  },
  "escalation_reason": {
    "case_overdue": {"id": "Lewat tenggat", "en": "Past its deadline"},
    "beyond_level_authority": {"id": "Di luar kewenangan tingkat ini", "en": "Beyond this level's authority"},
    "needs_action_abroad": {"id": "Perlu tindakan di luar negeri", "en": "Needs action abroad"},
    "other_jurisdiction": {"id": "Pihak terkait di wilayah lain", "en": "Parties in another jurisdiction"},
    "risk_to_life": {"id": "Ancaman terhadap nyawa", "en": "Risk to life"},
    "no_progress": {"id": "Tidak ada kemajuan", "en": "No progress"},
    "survivor_request": {"id": "Permintaan penyintas", "en": "The survivor's request"},
    "other": {"id": "Alasan lain", "en": "Other reason"}
  },
  "closure_reason": {
    "resolved": {"id": "Selesai", "en": "Resolved"},
    "withdrawn": {"id": "Dicabut", "en": "Withdrawn"},
    "duplicate": {"id": "Ganda (digabungkan)", "en": "Duplicate (merged)"},
    "report_rejected": {"id": "Laporan ditolak", "en": "Report rejected"},
    "documents_incomplete": {"id": "Dokumen tidak lengkap", "en": "Documents incomplete"},
    "clarification_unanswered": {"id": "Klarifikasi tidak dijawab", "en": "Clarification unanswered"},
    "complainant_unreachable": {"id": "Pengadu tidak dapat dihubungi", "en": "Complainant unreachable"},
    "unresolvable": {"id": "Tidak dapat diselesaikan", "en": "Cannot be resolved"}
  },
  "reopening_reason": {
    "new_information": {"id": "Informasi baru", "en": "New information"},
    "documents_supplied": {"id": "Dokumen diserahkan", "en": "Documents supplied"},
    "complainant_reachable": {"id": "Pengadu dapat dihubungi lagi", "en": "Complainant reachable again"},
    "closed_in_error": {"id": "Keliru ditutup", "en": "Closed in error"},
    "problem_recurred": {"id": "Masalah terulang", "en": "Problem recurred"},
    "other": {"id": "Alasan lain", "en": "Other reason"}
  },
  "severity": {
    "info": {"id": "Informasi", "en": "Information"},
    "warning": {"id": "Peringatan", "en": "Warning"},
    "critical": {"id": "Kritis", "en": "Critical"}
  },
  "alert_status": {
    "open": {"id": "Terbuka", "en": "Open"},
    "acknowledged": {"id": "Sudah ditanggapi", "en": "Acknowledged"},
    "resolved": {"id": "Selesai", "en": "Resolved"}
  },
  "alert_rule": {
    "illegal_fee": {"id": "Biaya ilegal", "en": "Illegal fee"},
    "fee_warning": {"id": "Biaya yang perlu diperhatikan", "en": "Fee warning"},
    "unlicensed_agency": {"id": "Perusahaan tanpa izin berlaku", "en": "Agency without a valid licence"},
    "case_unassigned": {"id": "Kasus belum ada pendamping", "en": "Case without a case worker"},
    "case_deadline_near": {"id": "Tenggat kasus mendekat", "en": "Case deadline near"},
    "case_overdue": {"id": "Kasus lewat tenggat", "en": "Case overdue"},
    "agency_hotspot": {"id": "Perusahaan dengan banyak masalah", "en": "Agency hotspot"},
    "village_surge": {"id": "Lonjakan di desa", "en": "Village surge"},
    "return_overdue": {"id": "Belum kembali setelah kontrak berakhir", "en": "Return overdue"},
    "non_procedural": {"id": "Pekerja nonprosedural", "en": "Non-procedural worker"}
  },
  "alert_resolution": {
    "condition_cleared": {"id": "Keadaan sudah tidak terpenuhi", "en": "Condition cleared"},
    "action_taken": {"id": "Tindakan sudah diambil", "en": "Action taken"},
    "referred": {"id": "Dirujuk", "en": "Referred"},
    "false_alarm": {"id": "Peringatan keliru", "en": "False alarm"},
    "duplicate": {"id": "Ganda", "en": "Duplicate"},
    "no_action_needed": {"id": "Tidak perlu tindakan", "en": "No action needed"}
  },
  "sanction_reason": {
    "illegal_fees": {"id": "Memungut biaya ilegal", "en": "Illegal fees"},
    "document_fraud": {"id": "Pemalsuan dokumen atau data pekerja", "en": "Document fraud"},
    "underage_placement": {"id": "Menempatkan anak di bawah umur", "en": "Underage placement"},
    "trafficking": {"id": "Perdagangan orang", "en": "Trafficking"},
    "worker_abuse": {"id": "Kekerasan terhadap pekerja", "en": "Worker abuse"},
    "non_procedural_placement": {"id": "Penempatan nonprosedural", "en": "Non-procedural placement"},
    "protection_obligations": {"id": "Kewajiban pelindungan tidak dipenuhi", "en": "Protection obligations not met"},
    "licence_conditions": {"id": "Syarat izin tidak lagi dipenuhi", "en": "Licence conditions no longer met"},
    "court_order": {"id": "Putusan pengadilan", "en": "Court order"},
    "other": {"id": "Alasan lain", "en": "Other reason"}
  },
  "service_kind": {
    "pre_departure_information": {"id": "Informasi migrasi aman", "en": "Safe migration information"},
    "pre_departure_training": {"id": "Pelatihan pra-pemberangkatan", "en": "Pre-departure training"},
    "document_assistance": {"id": "Bantuan pengurusan dokumen", "en": "Help with documents"},
    "financial_literacy": {"id": "Literasi keuangan", "en": "Financial literacy"},
    "rights_training": {"id": "Pelatihan hak pekerja migran", "en": "Rights training"},
    "reintegration_training": {"id": "Pelatihan wirausaha purna PMI", "en": "Business training for returnees"},
    "cooperative": {"id": "Keanggotaan koperasi", "en": "Cooperative membership"},
    "remittance_management": {"id": "Pengelolaan remitansi", "en": "Remittance management"},
    "community_parenting": {"id": "Pengasuhan berbasis komunitas (rumah pintar)", "en": "Community parenting (rumah pintar)"},
    "psychosocial_support": {"id": "Dukungan psikososial", "en": "Psychosocial support"}
  },
  "beneficiary": {
    "worker": {"id": "Pekerja migran", "en": "Worker"},
    "family": {"id": "Anggota keluarga", "en": "Family member"}
  },
  "family_relation": {
    "child": {"id": "Anak", "en": "Child"},
    "spouse": {"id": "Suami atau istri", "en": "Spouse"},
    "parent": {"id": "Orang tua", "en": "Parent"},
    "sibling": {"id": "Saudara kandung", "en": "Sibling"},
    "other": {"id": "Kerabat lain", "en": "Other relative"}
  },
  "service_provider": {
    "village": {"id": "Desa (Desbumi, Desmigratif)", "en": "Village (DESBUMI, Desmigratif)"},
    "ltsa": {"id": "Layanan Terpadu Satu Atap (LTSA)", "en": "One-roof service centre (LTSA)"},
    "mrc": {"id": "Migrant Resource Centre (MRC)", "en": "Migrant Resource Centre (MRC)"},
    "regency_office": {"id": "Dinas tenaga kerja kabupaten/kota", "en": "Regency manpower office"},
    "province_office": {"id": "BP3MI (provinsi)", "en": "Province office (BP3MI)"},
    "ministry": {"id": "Kementerian (KP2MI)", "en": "Ministry (KP2MI)"}
  },
  "agency_status": {
    "licensed": {"id": "Berizin", "en": "Licensed"},
    "suspended": {"id": "Izin dibekukan", "en": "Suspended"},
    "revoked": {"id": "Izin dicabut", "en": "Revoked"}
  }
}
);
