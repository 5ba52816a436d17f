// pvmon::interop — exchange formats. CDISC SDTM AE domain (SDTMIG v3.3 §6.2, AE) as CSV with
// CDISC controlled terminology. Pure functions: the same records give the same bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "pvmon/time.hpp"

namespace pvmon::interop {

/// What SDTM needs of a subject: its id and RFSTDTC, the reference start date for study days
/// (the first dose of a study drug or start of radiotherapy; enrolment when none yet).
struct SdtmSubject {
  std::string subject;
  Date reference_start;
};

/// The AE domain: one row per AE report version in force (nullified reports are not in force),
/// ordered by USUBJID, AESTDTC, AESPID; AESEQ numbers each subject's rows from 1. Columns:
/// STUDYID DOMAIN USUBJID AESEQ AESPID AETERM AEDECOD AEPTCD AEBODSYS AETOXGR AESER AESDTH
/// AESLIFE AESHOSP AESDISAB AESCONG AESMIE AEREL AEACN AEOUT AESTDTC AEENDTC AESTDY AEENDY.
/// `records` are stored AE records (current version as of the cut-off).
std::string sdtm_ae_csv(const std::string& study, const std::vector<SdtmSubject>& subjects,
                        const std::vector<nlohmann::json>& records);

/// SDTMIG study day: date - reference + 1 on or after the reference day, date - reference
/// before it (there is no day 0).
int study_day(Date date, Date reference);

}  // namespace pvmon::interop
