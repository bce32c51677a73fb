/// The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.
enum OpenAPIDocument {
    static let filterParameters = """
        {"name":"district","in":"query","schema":{"type":"array","items":{"type":"string","pattern":"^[0-9]{6}$"}},"style":"form","explode":true,"description":"District codes (within yours)."},
        {"name":"township","in":"query","schema":{"type":"array","items":{"type":"string","pattern":"^[0-9]{9}$"}},"explode":true},
        {"name":"village","in":"query","schema":{"type":"array","items":{"type":"string","pattern":"^[0-9]{12}$"}},"explode":true},
        {"name":"rule","in":"query","schema":{"type":"array","items":{"type":"string"}},"explode":true},
        {"name":"severity","in":"query","schema":{"type":"array","items":{"$ref":"#/components/schemas/Severity"}},"explode":true},
        {"name":"status","in":"query","schema":{"type":"array","items":{"$ref":"#/components/schemas/Status"}},"explode":true},
        {"name":"assignee","in":"query","schema":{"type":"string"},"description":"`me`, `none` or a user name."},
        {"name":"time","in":"query","schema":{"type":"string","enum":["event","detected"],"default":"event"},"description":"Which instant from/until apply to."},
        {"name":"from","in":"query","schema":{"type":"string","format":"date"},"description":"Inclusive local date (Asia/Shanghai)."},
        {"name":"until","in":"query","schema":{"type":"string","format":"date"},"description":"Inclusive local date (Asia/Shanghai)."},
        {"name":"q","in":"query","schema":{"type":"string","maxLength":200},"description":"Text in the summaries, key or rule id. Searches with 4+ digits in a row are audited."},
        {"name":"sort","in":"query","schema":{"type":"string","enum":["newest","oldest"],"default":"newest"}}
        """

    static let actionBody = """
        {"required":false,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/ActionBody"}},"application/x-www-form-urlencoded":{"schema":{"$ref":"#/components/schemas/ActionBody"}}}}
        """

    static func action(_ verb: String, _ summary: String) -> String {
        """
        "/api/alerts/{id}/\(verb)":{"post":{"summary":"\(summary)","tags":["workflow"],"parameters":[{"$ref":"#/components/parameters/AlertID"}],"requestBody":\(actionBody),
          "responses":{"200":{"description":"The alert's new workflow state","content":{"application/json":{"schema":{"$ref":"#/components/schemas/WorkflowState"}}}},
          "400":{"$ref":"#/components/responses/Error"},"401":{"$ref":"#/components/responses/Error"},"403":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"},"409":{"$ref":"#/components/responses/Error"}}}}
        """
    }

    static let json: String = """
    {"openapi":"3.1.0",
     "info":{"title":"Qianliyan analysts' API","version":"1.0.0",
       "description":"The alert queue of 千里眼 Qianliyan. Every request is scoped to the caller's districts: an alert of another district answers 404, exactly like a missing one. Personal ids (payee_id, worker_id, vendor_id, cadre_id, …) are masked unless revealed with POST /api/alerts/{id}/reveal, which is audited. Every workflow change is written to the append-only audit log. Authenticate with `Authorization: Bearer qly_…` (create one with `qianliyan users token NAME`); with a browser session instead, POST requests need the `X-CSRF-Token` header (GET /api/me returns it)."},
     "servers":[{"url":"/"}],
     "security":[{"bearer":[]},{"session":[]}],
     "paths":{
      "/api/me":{"get":{"summary":"The authenticated user","responses":{"200":{"description":"User","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Me"}}}},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts":{"get":{"summary":"The queue: alerts newest first, keyset-paginated","tags":["queue"],
        "parameters":[\(filterParameters),
          {"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":500,"default":50}},
          {"name":"after","in":"query","schema":{"type":"string","pattern":"^-?[0-9]+_[0-9]+$"},"description":"`next_cursor` of the previous page."}],
        "responses":{"200":{"description":"A page","content":{"application/json":{"schema":{"type":"object","required":["alerts","next_cursor"],"properties":{"alerts":{"type":"array","items":{"$ref":"#/components/schemas/Alert"}},"next_cursor":{"type":["string","null"]}}}}}},"400":{"$ref":"#/components/responses/Error"},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts/counts":{"get":{"summary":"Alert counts per status for a filter (its status condition ignored)","tags":["queue"],"parameters":[\(filterParameters)],
        "responses":{"200":{"description":"Counts","content":{"application/json":{"schema":{"type":"object","properties":{"by_status":{"type":"object","additionalProperties":{"type":"integer"}},"total":{"type":"integer"}}}}}},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts/poll":{"get":{"summary":"Alerts newer than an id (live updates)","tags":["queue"],"parameters":[\(filterParameters),{"name":"after_id","in":"query","required":true,"schema":{"type":"integer"}}],
        "responses":{"200":{"description":"New alerts","content":{"application/json":{"schema":{"type":"object","properties":{"count":{"type":"integer"},"max_id":{"type":"integer"},"alerts":{"type":"array","items":{"$ref":"#/components/schemas/Alert"}}}}}}},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts/export.csv":{"get":{"summary":"The filtered queue as CSV (masked; audited)","tags":["queue"],"parameters":[\(filterParameters)],
        "responses":{"200":{"description":"CSV with a header row","content":{"text/csv":{"schema":{"type":"string"}}}},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts/bulk":{"post":{"summary":"Assign or close many alerts","tags":["workflow"],
        "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["action","ids"],"properties":{"action":{"type":"string","enum":["assign","close"]},"ids":{"type":"array","items":{"type":"integer"},"maxItems":500},"assignee":{"type":"string"},"disposition":{"$ref":"#/components/schemas/Disposition"},"reason":{"type":"string"}}}}}},
        "responses":{"200":{"description":"Done and skipped ids","content":{"application/json":{"schema":{"type":"object","properties":{"done":{"type":"array","items":{"type":"integer"}},"skipped":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"reason":{"type":"string"}}}}}}}}},"400":{"$ref":"#/components/responses/Error"},"401":{"$ref":"#/components/responses/Error"},"403":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts/{id}":{"get":{"summary":"One alert: figures, evidence, related alerts, rule text, history (masked)","tags":["queue"],"parameters":[{"$ref":"#/components/parameters/AlertID"}],
        "responses":{"200":{"description":"Detail","content":{"application/json":{"schema":{"$ref":"#/components/schemas/AlertDetail"}}}},"401":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"}}}},
      "/api/alerts/{id}/reveal":{"post":{"summary":"The alert with personal ids shown (audited)","tags":["workflow"],"parameters":[{"$ref":"#/components/parameters/AlertID"}],
        "responses":{"200":{"description":"Detail, unmasked","content":{"application/json":{"schema":{"$ref":"#/components/schemas/AlertDetail"}}}},"401":{"$ref":"#/components/responses/Error"},"403":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"}}}},
      \(action("acknowledge", "new → acknowledged")),
      \(action("assign", "Assign to `assignee` (`me` or a colleague of the alert's district)")),
      \(action("comment", "Add a comment (`body`)")),
      \(action("escalate", "Escalate to a lead (`reason` required)")),
      \(action("close", "Close with a `disposition` and a `reason` (escalated alerts: leads only)")),
      \(action("reopen", "Reopen a closed alert (leads only; `reason` required)")),
      "/api/overview":{"get":{"summary":"Alert counts per village and month, and per rule with dispositions","tags":["overview"],"parameters":[\(filterParameters)],
        "responses":{"200":{"description":"Counts","content":{"application/json":{"schema":{"type":"object","properties":{"cells":{"type":"array","items":{"type":"object","properties":{"township":{"type":"string"},"village":{"type":"string"},"month":{"type":"string"},"count":{"type":"integer"}}}},"rules":{"type":"array","items":{"$ref":"#/components/schemas/RuleStats"}}}}}}},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/rules":{"get":{"summary":"Rules with alert counts and false-positive rates","tags":["rules"],"responses":{"200":{"description":"Rules","content":{"application/json":{"schema":{"type":"object","properties":{"rules":{"type":"array","items":{"type":"object"}}}}}}},"401":{"$ref":"#/components/responses/Error"}}}},
      "/api/rules/{name}":{"get":{"summary":"One rule: source, versions, weekly volume, false-positive rate","tags":["rules"],"parameters":[{"name":"name","in":"path","required":true,"schema":{"type":"string"}}],
        "responses":{"200":{"description":"Rule","content":{"application/json":{"schema":{"type":"object"}}}},"401":{"$ref":"#/components/responses/Error"},"404":{"$ref":"#/components/responses/Error"}}}},
      "/api/audit":{"get":{"summary":"Audit log of your districts, newest first (leads and admins)","tags":["audit"],
        "parameters":[{"name":"actor","in":"query","schema":{"type":"string"}},{"name":"action","in":"query","schema":{"type":"string"}},{"name":"before","in":"query","schema":{"type":"integer"}},{"name":"limit","in":"query","schema":{"type":"integer","maximum":1000}}],
        "responses":{"200":{"description":"Entries","content":{"application/json":{"schema":{"type":"object","properties":{"entries":{"type":"array","items":{"$ref":"#/components/schemas/AuditEntry"}}}}}}},"401":{"$ref":"#/components/responses/Error"},"403":{"$ref":"#/components/responses/Error"}}}}
     },
     "components":{
      "securitySchemes":{"bearer":{"type":"http","scheme":"bearer","description":"A token from `qianliyan users token NAME`."},
                         "session":{"type":"apiKey","in":"cookie","name":"qly_session","description":"Browser session; POSTs need the X-CSRF-Token header."}},
      "parameters":{"AlertID":{"name":"id","in":"path","required":true,"schema":{"type":"integer","format":"int64"}}},
      "responses":{"Error":{"description":"Refused","content":{"application/json":{"schema":{"type":"object","properties":{"error":{"type":"object","properties":{"code":{"type":"string","enum":["badRequest","unauthenticated","forbidden","notFound","conflict","csrf","tooManyAttempts","unavailable"]},"message":{"type":"string"}}}}}}}}},
      "schemas":{
       "Severity":{"type":"string","enum":["low","medium","high","critical"]},
       "Status":{"type":"string","enum":["new","acknowledged","assigned","escalated","closed"]},
       "Disposition":{"type":"string","enum":["confirmed","false_positive","duplicate","needs_info"]},
       "Me":{"type":"object","properties":{"name":{"type":"string"},"display_name":{"type":"string"},"role":{"type":"string","enum":["analyst","lead","rule_author","admin"]},"districts":{"type":"array","items":{"type":"string"}},"auth":{"type":"string","enum":["web","api"]},"csrf_token":{"type":["string","null"]}}},
       "Alert":{"type":"object","properties":{"id":{"type":"integer"},"rule_id":{"type":"string"},"rule_version":{"type":"integer"},"severity":{"$ref":"#/components/schemas/Severity"},"status":{"$ref":"#/components/schemas/Status"},"assignee":{"type":["string","null"]},"disposition":{"type":["string","null"]},"disposition_reason":{"type":["string","null"]},"village":{"type":"string"},"township":{"type":"string"},"district":{"type":"string"},"key":{"type":"string","description":"Personal ids masked."},"anchor_event_id":{"type":"string"},"anchor_time":{"type":"string","format":"date-time"},"first_evidence_at":{"type":"string","format":"date-time"},"last_evidence_at":{"type":"string","format":"date-time"},"detected_at":{"type":"string","format":"date-time"},"updated_at":{"type":"string","format":"date-time"},"summary_zh":{"type":"string"},"summary_en":{"type":"string"},"figures":{"type":"object","description":"Aggregates (count, sum(amount) as yuan strings), parameters (approval_limit, window) and, for relation rules, relation, relation_kind, cadre_id, cadre_name, cadre_role, via_person_id."},"masked":{"type":"boolean"}}},
       "AlertDetail":{"type":"object","properties":{"alert":{"$ref":"#/components/schemas/Alert"},"evidence_event_ids":{"type":"array","items":{"type":"string"}},"evidence":{"type":"array","items":{"type":"object"},"description":"The raw evidence events (personal fields masked unless revealed)."},"personal_fields":{"type":"array","items":{"type":"string"}},"same_key":{"type":"array","items":{"$ref":"#/components/schemas/Alert"}},"same_village":{"type":"array","items":{"$ref":"#/components/schemas/Alert"}},"rule":{"type":"object","properties":{"id":{"type":"string"},"alert_version":{"type":"integer"},"source_version":{"type":["string","null"]},"source":{"type":["string","null"]}}},"history":{"type":"array","items":{"$ref":"#/components/schemas/AuditEntry"}},"comments":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"author":{"type":"string"},"body":{"type":"string"},"at":{"type":"string"}}}},"assignable":{"type":"array","items":{"type":"string"}}}},
       "ActionBody":{"type":"object","properties":{"assignee":{"type":"string","description":"assign: `me` or a user name"},"body":{"type":"string","description":"comment text"},"reason":{"type":"string","description":"escalate, close, reopen"},"disposition":{"$ref":"#/components/schemas/Disposition"}}},
       "WorkflowState":{"type":"object","properties":{"id":{"type":"integer"},"status":{"$ref":"#/components/schemas/Status"},"assignee":{"type":["string","null"]},"disposition":{"type":["string","null"]},"disposition_reason":{"type":["string","null"]}}},
       "RuleStats":{"type":"object","properties":{"rule_id":{"type":"string"},"total":{"type":"integer"},"open":{"type":"integer"},"confirmed":{"type":"integer"},"false_positive":{"type":"integer"},"duplicate":{"type":"integer"},"needs_info":{"type":"integer"},"false_positive_rate":{"type":["number","null"],"description":"false_positive / (confirmed + false_positive)"}}},
       "AuditEntry":{"type":"object","properties":{"id":{"type":"integer"},"at":{"type":"string"},"actor":{"type":"string"},"actor_role":{"type":["string","null"]},"via":{"type":"string"},"action":{"type":"string"},"alert_id":{"type":["integer","null"]},"district":{"type":["string","null"]},"details":{"type":"object"}}}
      }}}
    """
}
