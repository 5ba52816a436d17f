// pvmon::icsr — the ICH E2B(R3) individual case safety report: a case in pvmon's typed terms
// (`Case`, assembled by the service layer from the AE report, its subject and its study), the
// ICSR message built from it (HL7 v3 MCCI_IN200100UV01 batch wrapping one PORR_IN049016UV), its
// validation against the ICH schema (embedded, libxml2) and FDA's business rules, the gateway's
// acknowledgement (MCCI_IN200101UV01) read back, and the CIOMS I form.
// Pure: no file, network or clock; the schemas are compiled in. Callable from any thread.
// Sources: ICH E2B(R3) Implementation Guide v1.08 (the element numbers N.x, C.x ... H.x below),
// FDA's "E2B(R3) Data Elements" table and "Rejection and warning rules" (../shared/e2br3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/time.hpp"

namespace pvmon::icsr {

/// Which regional elements are added to the ICH core: `ich` alone, or FDA's premarket ones
/// (FDA.C.1.7.1 local criteria report type, FDA.C.5.5a/b IND/pre-ANDA number, FDA.C.5.6.r
/// cross-reported INDs...). README "ICSR" says how to add a region.
enum class Profile { ich, fda };
std::optional<Profile> parse_profile(std::string_view s);
std::string_view to_string(Profile p);

/// E2B(R3) outcome of reaction at the time of last observation (E.i.7).
enum class Outcome { recovered = 1, recovering = 2, not_recovered = 3, recovered_with_sequelae = 4,
                     fatal = 5, unknown = 0 };
/// G.k.1 characterisation of drug role.
enum class DrugRole { suspect = 1, concomitant = 2, interacting = 3, not_administered = 4 };
/// G.k.8 action taken with drug.
enum class DrugAction { withdrawn = 1, dose_reduced = 2, dose_increased = 3, dose_not_changed = 4,
                        unknown = 0, not_applicable = 9 };

struct Reaction {                    // E.i (pvmon: exactly one per case, the AE)
  std::string id;                    // local id used to link G.k.9.i.2.r and assessments ("r1")
  std::string verbatim;              // E.i.1.1a, the site's words (the CTCAE term if none)
  std::string language = "en";       // E.i.1.1b
  std::string meddra_version = "20.1";  // E.i.2.1a: CTCAE v5.0 is coded to MedDRA 20.1
  std::string meddra_code;           // E.i.2.1b: the CTCAE term's 8-digit MedDRA LLT code
  std::string term;                  // the CTCAE term (display; not an E2B element)
  int grade = 0;                     // CTCAE grade, in the narrative and in the term highlighted
  bool death = false, life_threatening = false, hospitalization = false, disability = false,
       congenital_anomaly = false, medically_important = false;  // E.i.3.2a-f
  std::optional<Date> start, end;    // E.i.4, E.i.5
  Outcome outcome = Outcome::unknown;  // E.i.7
  std::string country;               // E.i.9 identification of the country where it occurred
};

struct LabTest {                     // F.r
  std::string name;                  // F.r.2.1, free text (the CTCAE term's investigation)
  std::optional<Date> date;          // F.r.1
  double value = 0;                  // F.r.3.2
  std::string unit;                  // F.r.3.3 (UCUM where it is; else free text)
  std::optional<double> low, high;   // F.r.4, F.r.5 normal range
  std::string comment;               // F.r.6 (the grade basis: "x ULN", "baseline ...")
};

struct Causality {                   // G.k.9.i.2.r
  std::string reaction_id;           // the Reaction it assesses
  std::string source;                // G.k.9.i.2.r.1 "Investigator" or "Sponsor"
  std::string method = "Global Introspection";  // G.k.9.i.2.r.2
  std::string result;                // G.k.9.i.2.r.3, the scale value ("possibly related")
};

struct Drug {                        // G.k
  DrugRole role = DrugRole::suspect;
  std::string name;                  // G.k.2.2 medicinal product name as reported
  std::optional<double> dose;        // G.k.4.r.1a
  std::string dose_unit;             // G.k.4.r.1b (UCUM: "mg", "mg/kg"...)
  std::optional<Date> start, end;    // G.k.4.r.4, G.k.4.r.5
  std::string route;                 // G.k.4.r.10.1 free text
  DrugAction action = DrugAction::unknown;  // G.k.8
  std::vector<Causality> causality;  // G.k.9.i.2.r
  std::string ind_number;            // FDA.G.k.12.r? (FDA profile: the IND it is studied under)
  bool blinded = false;              // G.k.2.5 investigational product blinded (an open-label study: never)
};

struct Case {
  // N: the batch and message wrapper
  std::string batch_id;              // N.1.2 batch number (unique per message pvmon builds)
  std::string message_id;            // N.2.r.1 message identifier (unique per message)
  std::string batch_sender, batch_receiver;      // N.1.3, N.1.4
  std::string message_sender, message_receiver;  // N.2.r.2, N.2.r.3
  Timestamp created;                 // N.1.5, N.2.r.4, C.1.2

  // C.1
  std::string safety_report_id;      // C.1.1 sender's safety report unique id (stable per case)
  std::string worldwide_case_id;     // C.1.8.1 (the same as C.1.1 when pvmon is the first sender)
  Date first_received;               // C.1.4 the sponsor's first awareness
  Date most_recent;                  // C.1.5 the awareness of the version reported
  bool expedited = false;            // C.1.7 fulfil local criteria for an expedited report
  bool followup = false;             // a version after the first (C.1.8 first sender unchanged)
  bool nullified = false;            // C.1.11.1 = 1 (nullification)
  std::string nullification_reason;  // C.1.11.2
  std::string primary_source_country;  // C.2.r.3 / C.1.8.2 first sender: the site's country
  int version = 1;                   // the AE report's version the message reports

  // C.2.r: the reporting investigator (the site, never a person's name)
  std::string reporter_organisation; // C.2.r.2.1 ("Site S01")
  std::string reporter_country;      // C.2.r.3
  // C.2.r.4 qualification: 1 physician (always: an investigator)

  // C.3: the sender
  std::string sender_organisation;   // C.3.2
  std::string sender_country;        // C.3.4.5 (part of the address, ISO 3166-1 alpha-2)
  // C.3.3, C.3.4: the sponsor's safety department and contact (FDA requires them); each
  // written only when set
  std::string sender_department;     // C.3.3.1
  std::string sender_title, sender_given_name, sender_family_name;  // C.3.3.2, C.3.3.3, C.3.3.5
  std::string sender_street, sender_city, sender_state, sender_postcode;  // C.3.4.1-C.3.4.4
  std::string sender_telephone, sender_fax, sender_email;  // C.3.4.6-C.3.4.8
  // C.3.1 sender type: 1 pharmaceutical company

  // C.5: the study
  std::string registration_number;   // C.5.1.r.1 (NCT..., ChiCTR...)
  std::string registration_country;  // C.5.1.r.2
  std::string study_name;            // C.5.2
  std::string sponsor_study_number;  // C.5.3
  // C.5.4 study type: 1 clinical trials
  std::string ind_number;            // FDA.C.5.5a (FDA profile)
  std::string fda_report_type;       // FDA.C.1.7.1 local criteria report type ("1" 15-day ...)
  std::vector<std::string> cross_reported_inds;  // FDA.C.5.6.r (none: nullFlavor NA)
  bool combination_product = false;  // FDA.C.1.12 combination product report indicator

  // D: the patient
  std::string subject;               // D.1 the pseudonymous subject id only
  std::optional<int> age_years;      // D.2.2a/b at onset of the reaction
  std::string sex;                   // D.5: "M" 1, "F" 2, else null flavour UNK
  std::optional<Date> death_date;    // D.9.1
  std::vector<std::string> death_causes;  // D.9.2.r.2 reported cause(s) as text (MedDRA code
                                          // when the cause is a CTCAE term: D.9.2.r.1b)
  std::vector<std::string> death_cause_codes;  // parallel to death_causes; "" when not coded
  std::string medical_history;       // D.7.2 relevant history as text ("None"; empty: UNK)

  Reaction reaction;                 // E.i
  std::vector<LabTest> labs;         // F.r
  std::vector<Drug> drugs;           // G.k
  std::string narrative;             // H.1
  std::string sender_comment;        // H.4
};

/// The ICSR message (UTF-8 XML) for the case under the profile. Never fails: what a case
/// lacks is written as the null flavour E2B(R3) allows there; `validate` judges the result.
std::string build(const Case& c, Profile profile);

struct Finding {
  std::string rule;     // "schema", or FDA's rule number ("R0005"), or pvmon's id for one of FDA's generic rules ("REQ-C.1.1")
  std::string element;  // the E2B element ("C.1.1") or the XPath
  std::string message;
  bool rejection = true;  // a rejection (the gateway refuses it); false: a warning
};

/// Validates a message against the embedded ICH schema (MCCI_IN200100UV01.xsd) and, for the
/// FDA profile, the FDA business rules pvmon checks (README lists them). Empty: valid.
std::vector<Finding> validate(std::string_view xml, Profile profile);
/// Schema validation alone, for either entry point the embedded schemas have.
enum class Schema { icsr /* MCCI_IN200100UV01 */, ack /* MCCI_IN200101UV01 */ };
std::vector<Finding> validate_schema(std::string_view xml, Schema schema);
/// The FDA rules pvmon checks: their ids and texts, for README and the API document.
struct RuleInfo {
  std::string id, text;
};
const std::vector<RuleInfo>& checked_fda_rules();

/// A gateway's acknowledgement of one ICSR message (ACK.B.r).
struct MessageAck {
  std::string target_message_id;     // ACK.B.r.1 (the N.2.r.1 acknowledged; FDA appends the C.1.1)
  std::string safety_report_id;      // the C.1.1 part when the gateway appended it
  std::string local_report_number;   // ACK.B.r.2 the receiver's number for the case
  std::string code;                  // ACK.B.r.6: CA accepted, CR rejected (AE error: batch)
  bool accepted = false;             // code CA
  std::string text;                  // ACK.B.r.7
};
struct Ack {                         // MCCI_IN200101UV01
  std::string batch_id;              // ACK.M.1
  std::string acked_batch_id;        // ACK.A.1? the batch acknowledged (when the gateway names it)
  Timestamp created;                 // ACK.M.4 the gateway's transmission time (receipt)
  std::string batch_code;            // ACK.A.4 transmission acknowledgement code: AA, AE, AR
  std::string batch_text;            // ACK.A.5
  std::vector<MessageAck> messages;
};
/// Parses and schema-validates an acknowledgement; 422-style errors naming the element.
Result<Ack> parse_ack(std::string_view xml);

/// The CIOMS I form (its 24 fields) as one printable HTML page with no external assets.
std::string cioms_html(const Case& c);

}  // namespace pvmon::icsr
