// pvmon::safety — what the protocol's efficacy endpoints need of one subject: the start of
// study treatment (time zero), tumour response (mRECIST for the primary tumour, Cheng's
// classification for the portal vein tumour thrombus, and the protocol's rule combining them),
// the pathology of the resected specimen, and the first progression or relapse.
// Pure functions (no I/O), callable from any thread. CLINICAL.md "The protocol's endpoints".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/safety/events.hpp"
#include "pvmon/time.hpp"

namespace pvmon::safety {

/// Response categories, best first: complete, partial, stable, progressive, not evaluable.
/// mRECIST for HCC: Lencioni & Llovet, Semin Liver Dis 2010;30:52.
enum class Response { CR, PR, SD, PD, NE };
std::string_view to_string(Response r);
std::optional<Response> parse_response(std::string_view s);

/// Cheng's classification of PVTT (Shi J, Lai EC, ..., Cheng SQ, Ann Surg Oncol 2010;17:2073;
/// Chinese expert consensus 2016), from the least to the most extensive: I0 microscopic only,
/// I segmental or sectoral branches, II left or right portal vein, III main trunk, IV superior
/// mesenteric vein. `none`: no thrombus seen on the assessment (only as the current finding).
enum class ChengType { none, I0, I, II, III, IV };
std::string_view to_string(ChengType t);
std::optional<ChengType> parse_cheng(std::string_view s);

/// The PVTT's response (the protocol): any downstaging of Cheng's type, or a conspicuous
/// restoration of portal flow, is a partial response; any upstaging progressive disease;
/// otherwise stable disease. Upstaging wins over a restored flow. NE when neither the types
/// nor the flow finding is given.
Response pvtt_response(std::optional<ChengType> before, std::optional<ChengType> now,
                       std::optional<bool> portal_flow_restored);

/// The overall response of an assessment by the protocol's rule: PD if either the primary
/// tumour or the PVTT is PD; PR if either is PR and the other SD. Where the protocol is silent
/// the RECIST 1.1 table for target and non-target lesions is followed (Eisenhauer et al., Eur J
/// Cancer 2009;45:228, table 1), with the PVTT as the non-target lesion: CR only when the
/// primary tumour is CR and no thrombus is left (Cheng type `none`); a primary CR with a
/// thrombus left is PR; both SD is SD; either NE (and neither PD) is NE.
Response overall_response(Response primary, Response pvtt, std::optional<ChengType> pvtt_now);

struct Assessment {
  std::int64_t event = 0;
  Date date;
  Response primary = Response::NE;
  Response pvtt = Response::NE;
  Response overall = Response::NE;
};

/// Best overall response: the best overall response of the assessments (CR > PR > SD > PD >
/// NE), unconfirmed (the protocol asks for no confirmation); nullopt when none.
std::optional<Response> best_overall_response(const std::vector<Assessment>& assessments);

/// Major pathological response: at most 10 % viable tumour in the resected specimen (the
/// protocol; as in neoadjuvant trials since Pataer et al., J Thorac Oncol 2012;7:825).
inline constexpr double kMprMaxViablePercent = 10.0;

struct Pathology {
  std::int64_t event = 0;
  Date date;
  double viable_percent = 100;
  std::string margin;  // "R0", "R1", "R2"
  bool mpr() const { return viable_percent <= kMprMaxViablePercent; }
};

/// A progression or relapse, as the EFS and DFS endpoints count it.
struct TumourEvent {
  Date date;
  std::string ref;  // "event 12 (progression, mRECIST)", "event 14 (response assessment: PD)"
};

/// The efficacy facts of one subject's recorded events (dated on or before the caller's
/// cut-off; the caller filters).
struct SubjectEfficacy {
  /// Time zero: the first study-drug dose or radiotherapy fraction (the earliest drug_start or
  /// radiotherapy_start); nullopt for a subject never treated.
  std::optional<Date> treatment_start;
  std::vector<Assessment> assessments;  // in date order
  std::optional<Pathology> pathology;
  /// The first progression or relapse the protocol counts (mRECIST): a progression or relapse
  /// event by mRECIST, or an assessment whose overall response is PD.
  std::optional<TumourEvent> first_progression;
  /// The first after the index hepatectomy (DFS); nullopt when not operated or none.
  std::optional<TumourEvent> first_progression_after_surgery;
  /// Progressions and relapses recorded by other criteria (RECIST 1.1, iRECIST, clinical): not
  /// EFS events by the protocol's definition, listed so that none goes unseen.
  std::vector<TumourEvent> other_progressions;
};

/// The first drug_start or radiotherapy_start among the events: the one definition of the start
/// of study treatment (EFS and OS time zero, SDTM RFSTDTC).
std::optional<Date> treatment_start(const std::vector<SubjectEvent>& events);

/// The assessment an event records (a `response_assessment` as validate_event accepted it).
Assessment assessment_of(const SubjectEvent& e);

SubjectEfficacy efficacy_from_events(const std::vector<SubjectEvent>& events, std::optional<Date> surgery);

}  // namespace pvmon::safety
