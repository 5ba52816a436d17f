-- wrk script for bench/intake: POST a valid AE report (the DESIGN.md example) with a
-- report_id unique per request, per wrk thread and per run, so pvmond stores every one
-- (a repeated id would be an idempotent replay, which is a different, cheaper path).
-- Usage: wrk -t2 -c8 -d10s --latency -s ae_post.lua http://HOST:PORT/v1/studies/hcc-pvtt-imrt/ae -- RUN_TAG [KIND] [SUBJECTS]
-- KIND "sae" (default): the DESIGN.md report, a grade 3 serious ALT increase (an SAE with its
-- clocks, a late site report and an immune-related hepatitis AESI: the costliest common case).
-- KIND "routine": a grade 1, non-serious fatigue (no clock, no alert: the commonest case).
-- SUBJECTS 1 (default): every report names S01-0007. SUBJECTS N > 1: the reports go round
-- subjects S01-B0001 .. S01-BNNNN (enrolled by the caller, as front_door.sh does). Since issue 17
-- intake reads all of the subject's AEs to check the new one against its course, so with one
-- subject the cost of a report grows with the reports stored before it.

local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run_tag = args[1] or tostring(os.time())
  kind = args[2] or "sae"
  if kind ~= "sae" and kind ~= "routine" then error("KIND must be sae or routine, not " .. kind) end
  subjects = tonumber(args[3] or "1")
  if subjects == nil or subjects < 1 then error("SUBJECTS must be a positive number") end
  counter = 0
  headers = {
    ["Authorization"] = "Bearer demo-site-s01",
    ["Content-Type"] = "application/json",
  }
end

-- The AE report of DESIGN.md; the %s are the report_id and the subject.
local template = '{"report_id":"%s","subject":"%s",' ..
  '"term":"Alanine aminotransferase increased","verbatim":"ALT raised",' ..
  '"grade":3,"lab":{"value":250,"unit":"U/L","uln":40,"baseline":32},' ..
  '"onset":"2026-10-02","resolved":null,"site_aware_at":"2026-10-03T08:10:00Z",' ..
  '"serious":{"death":false,"life_threatening":false,"hospitalization":true,' ..
  '"disability":false,"congenital_anomaly":false,"medically_important":false},' ..
  '"causality":{"camrelizumab":"probable","apatinib":"possible","imrt":"unlikely","surgery":"unrelated"},' ..
  '"action_taken":{"apatinib":"dose_reduced"},"outcome":"recovering","narrative":"bench"}'

-- A grade 1, non-serious AE reported the day the site learnt of it.
local routine = '{"report_id":"%s","subject":"%s",' ..
  '"term":"Fatigue","verbatim":"tired in the afternoons",' ..
  '"grade":1,"onset":"2026-10-02","resolved":null,"site_aware_at":"2026-10-02T15:00:00Z",' ..
  '"serious":{"death":false,"life_threatening":false,"hospitalization":false,' ..
  '"disability":false,"congenital_anomaly":false,"medically_important":false},' ..
  '"causality":{"camrelizumab":"possible","apatinib":"possible","imrt":"unlikely","surgery":"unrelated"},' ..
  '"action_taken":{},"outcome":"not_recovered","narrative":"bench"}'

function request()
  counter = counter + 1
  local subject = "S01-0007"
  if subjects > 1 then subject = string.format("S01-B%04d", (thread_no * 7919 + counter) % subjects + 1) end
  local id = string.format("%s-AE-%s-T%d-%d", subject, run_tag, thread_no, counter)
  return wrk.format("POST", nil, headers, string.format(kind == "routine" and routine or template, id, subject))
end
