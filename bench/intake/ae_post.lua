-- wrk script for bench/intake: POST a valid AE report (the DESIGN.md example) with a
-- report_id unique per request, per wrk thread and per run, so pvmond stores every one
-- (a repeated id would be an idempotent replay, which is a different, cheaper path).
-- Usage: wrk -t2 -c8 -d10s --latency -s ae_post.lua http://HOST:PORT/v1/studies/hcc-pvtt-imrt/ae -- RUN_TAG [KIND]
-- KIND "sae" (default): the DESIGN.md report, a grade 3 serious ALT increase (an SAE with its
-- clocks, a late site report and an immune-related hepatitis AESI: the costliest common case).
-- KIND "routine": a grade 1, non-serious fatigue (no clock, no alert: the commonest case).

local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run_tag = args[1] or tostring(os.time())
  kind = args[2] or "sae"
  if kind ~= "sae" and kind ~= "routine" then error("KIND must be sae or routine, not " .. kind) end
  counter = 0
  headers = {
    ["Authorization"] = "Bearer demo-site-s01",
    ["Content-Type"] = "application/json",
  }
end

-- The AE report of DESIGN.md; %s is the report_id.
local template = '{"report_id":"%s","subject":"S01-0007",' ..
  '"term":"Alanine aminotransferase increased","verbatim":"ALT raised",' ..
  '"grade":3,"lab":{"value":250,"unit":"U/L","uln":40,"baseline":32},' ..
  '"onset":"2026-10-02","resolved":null,"site_aware_at":"2026-10-03T08:10:00Z",' ..
  '"serious":{"death":false,"life_threatening":false,"hospitalization":true,' ..
  '"disability":false,"congenital_anomaly":false,"medically_important":false},' ..
  '"causality":{"camrelizumab":"probable","apatinib":"possible","imrt":"unlikely","surgery":"unrelated"},' ..
  '"action_taken":{"apatinib":"dose_reduced"},"outcome":"recovering","narrative":"bench"}'

-- A grade 1, non-serious AE reported the day the site learnt of it.
local routine = '{"report_id":"%s","subject":"S01-0007",' ..
  '"term":"Fatigue","verbatim":"tired in the afternoons",' ..
  '"grade":1,"onset":"2026-10-02","resolved":null,"site_aware_at":"2026-10-02T15:00:00Z",' ..
  '"serious":{"death":false,"life_threatening":false,"hospitalization":false,' ..
  '"disability":false,"congenital_anomaly":false,"medically_important":false},' ..
  '"causality":{"camrelizumab":"possible","apatinib":"possible","imrt":"unlikely","surgery":"unrelated"},' ..
  '"action_taken":{},"outcome":"not_recovered","narrative":"bench"}'

function request()
  counter = counter + 1
  local id = string.format("S01-0007-AE-%s-T%d-%d", run_tag, thread_no, counter)
  return wrk.format("POST", nil, headers, string.format(kind == "routine" and routine or template, id))
end
