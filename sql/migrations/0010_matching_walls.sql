-- Recognising a wall however a rep words it. Whole-string trigram likeness (`statement % text`) never fired when a short
-- statement met a longer, differently worded summary. Objections are now matched on the words that carry meaning:
-- English stems without accents or filler, weighted by how few objections share them (idf), widened by the
-- organization's synonym groups, forgiving typos through word-level trigram likeness against the organization's
-- vocabulary, and taught by the wording of every report linked to an objection.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- English stemming without accents; compound words ("sign-on", "self-hosted") count by their parts only, so a hyphen
-- written or not makes no difference.
CREATE TEXT SEARCH CONFIGURATION roadwork_search (COPY = english);
ALTER TEXT SEARCH CONFIGURATION roadwork_search
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, english_stem;
ALTER TEXT SEARCH CONFIGURATION roadwork_search DROP MAPPING FOR asciihword, hword, numhword;

-- "SOC2" and "ISO27001" are written with and without a space: a letter followed by a digit starts a new word.
CREATE FUNCTION roadwork_search_text(p_text text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT regexp_replace(left(p_text, 2000), '([[:alpha:]])([0-9])', '\1 \2', 'g') $$;

-- Stems of the words reps wrap around a wall ("they asked again about…"): English stop words go already; these are the
-- ones a sales conversation adds. They carry no wall, so they neither match nor count.
CREATE FUNCTION roadwork_filler_words() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ARRAY[
        'ask', 'again', 'still', 'also', 'said', 'say', 'told', 'tell', 'mention', 'rais', 'brought', 'bring', 'came', 'come',
        'want', 'need', 'wish', 'would', 'could', 'might', 'realli', 'just', 'like', 'get', 'got', 'go', 'goe', 'went', 'use',
        'think', 'thought', 'feel', 'felt', 'seem', 'look', 'back', 'one', 'lot', 'much', 'mani', 'thing', 'someth', 'anyth',
        'make', 'sure', 'know', 'see', 'let', 'keep', 'kept', 'well', 'even', 'yet', 'anoth', 'everi', 'alway', 'never',
        'buyer', 'prospect', 'custom', 'client', 'account', 'deal', 'call', 'meet', 'demo', 'question', 'concern', 'issu',
        'today', 'yesterday', 'week', 'time', 'us', 'product', 'platform', 'solut', 'tool', 'softwar', 'compani', 'vendor',
        'team', 'peopl', 'guy', 'someon', 'everyon', 'must', 'requir', 'mandatori', 'work', 'worri',
        'afraid', 'right', 'now', 'first', 'way', 'help', 'allow', 'abl', 'possibl', 'current', 'buy', 'bought', 'problem'
    ]::text[] $$;

-- The words of a text as the search sees them: stems with positions, filler removed unless `p_keep_filler`. One
-- expression, so callers inline it rather than plan a function call each time.
CREATE FUNCTION roadwork_search_doc(p_text text, p_keep_filler boolean DEFAULT false) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT ts_delete(to_tsvector('public.roadwork_search'::regconfig, roadwork_search_text(p_text)),
                     CASE WHEN p_keep_filler THEN '{}'::text[] ELSE roadwork_filler_words() END)
    $$;

-- The words a report teaches: its stems, filler included (terms of several words need them), long numbers left out.
-- (PL/pgSQL keeps its plan between calls; a SQL function that cannot be inlined is planned on every call.)
CREATE FUNCTION roadwork_learned_doc(p_text text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    v_doc tsvector := roadwork_search_doc(p_text, true);
BEGIN
    RETURN ts_delete(v_doc, ARRAY(SELECT l FROM unnest(tsvector_to_array(v_doc)) l WHERE l ~ '^[0-9]{5,}$'));
END
$$;

-- One row per objection the search knows (open or dismissed; merged ones hand theirs to the target). Written when the
-- statement changes, never by reports, so reading it stays cheap while reports pour in.
CREATE TABLE objection_search (
    objection_id uuid PRIMARY KEY,
    org_id uuid NOT NULL,
    -- How many stems the statement has: an objection whose statement a text says almost whole ranks first among equals.
    statement_stems integer NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id) ON DELETE CASCADE
);

-- The inverted index: which objections a stem points to, from their statement and from the reports that taught them.
-- Kept per organization so counting the objections a word points to (its rarity) is a short index range.
CREATE TABLE objection_terms (
    org_id uuid NOT NULL,
    lexeme text NOT NULL,
    objection_id uuid NOT NULL,
    in_statement boolean NOT NULL DEFAULT false,
    -- How many of the reports that taught the objection use this word.
    phrasings integer NOT NULL DEFAULT 0,
    -- The search reads postings from the key alone (index-only), so it touches no table page it can avoid.
    PRIMARY KEY (org_id, lexeme, objection_id) INCLUDE (in_statement, phrasings),
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX objection_terms_objection_idx ON objection_terms (objection_id);
-- The statements' own words: where a text made only of common words looks for its candidates.
CREATE INDEX objection_terms_statement_idx ON objection_terms (org_id, lexeme, objection_id) WHERE in_statement;

-- Which report taught which objection, so moving or merging it moves its words too.
CREATE TABLE learned_reports (
    report_id uuid PRIMARY KEY,
    org_id uuid NOT NULL,
    objection_id uuid NOT NULL,
    FOREIGN KEY (org_id, objection_id) REFERENCES objections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX learned_reports_objection_idx ON learned_reports (objection_id);

-- Reports linked to an objection and not taught yet: written in the transaction that links them (so none is lost), taught
-- a moment later in batches by a background teacher in every server process (roadwork_teach_queued).
CREATE TABLE teaching_queue (
    report_id uuid PRIMARY KEY,
    org_id uuid NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX teaching_queue_order_idx ON teaching_queue (queued_at);

-- Every stem an organization has used, for typo-tolerant look-ups. Byte order, so the stems sharing a word's first three
-- letters are one short range of the key: typos rarely touch the first letters, and the range stays small whatever the
-- size of the vocabulary (a trigram index scanned the long posting lists of common trigrams: 1.4 ms per word at 20k stems).
CREATE TABLE search_vocabulary (
    org_id uuid NOT NULL,
    lexeme text COLLATE "C" NOT NULL,
    -- How many objections use the stem, counted up to 51 and never down: past 50 a stem is common whatever the exact
    -- number, and a row no longer counted is no longer written, so filings never queue on a common word's row.
    objections integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, lexeme)
);

-- How many objections each organization's search knows: the N of idf, kept by trigger (objections are created rarely).
CREATE TABLE search_totals (
    org_id uuid PRIMARY KEY,
    objections integer NOT NULL DEFAULT 0
);

-- Vocabulary an organization teaches: each group's terms mean the same wall ("SSO, single sign-on, SAML, Okta").
CREATE TABLE synonym_groups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id uuid NOT NULL REFERENCES organizations (id),
    terms text[] NOT NULL CHECK (cardinality(terms) BETWEEN 2 AND 30),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE INDEX synonym_groups_org_idx ON synonym_groups (org_id, created_at, id);

-- The groups' terms as the search reads them, kept by trigger: the stems a text or an objection must have (all of them,
-- in any order) to say the term.
CREATE TABLE synonym_terms (
    org_id uuid NOT NULL,
    group_id uuid NOT NULL,
    term text NOT NULL,
    lexemes text[] NOT NULL,
    FOREIGN KEY (org_id, group_id) REFERENCES synonym_groups (org_id, id) ON DELETE CASCADE
);
-- A text says a term only if it has the term's first stem: the look-up is a few index probes per text, whatever the
-- number of organizations and terms.
CREATE INDEX synonym_terms_first_stem_idx ON synonym_terms (org_id, (lexemes[1]));
CREATE INDEX synonym_terms_group_idx ON synonym_terms (group_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['objection_search', 'objection_terms', 'learned_reports', 'teaching_queue', 'search_vocabulary',
                             'search_totals', 'synonym_groups', 'synonym_terms'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (org_id = roadwork_current_org()) WITH CHECK (org_id = roadwork_current_org())',
                       t || '_tenant', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO roadwork_app', t);
    END LOOP;
END
$$;

CREATE FUNCTION roadwork_synonym_terms() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM synonym_terms WHERE group_id = NEW.id;
    INSERT INTO synonym_terms (org_id, group_id, term, lexemes)
    SELECT NEW.org_id, NEW.id, t, tsvector_to_array(roadwork_search_doc(t, true))
    FROM unnest(NEW.terms) t
    -- A term spots a group by a word that means something, or by a phrase of several words ("another vendor"); one
    -- filler word alone ("Teams") would spot it in any text.
    WHERE length(roadwork_search_doc(t)) > 0 OR length(roadwork_search_doc(t, true)) > 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER synonym_groups_terms AFTER INSERT OR UPDATE OF terms ON synonym_groups
    FOR EACH ROW EXECUTE FUNCTION roadwork_synonym_terms();

-- A starter vocabulary of common B2B sales terms; every organization gets a copy it may change.
CREATE TABLE synonym_starter (
    position integer PRIMARY KEY,
    terms text[] NOT NULL
);
GRANT SELECT ON synonym_starter TO roadwork_app;
INSERT INTO synonym_starter (position, terms) VALUES
    (1, '{SSO,single sign-on,SAML,Okta,Azure AD,Entra ID,OneLogin,Ping Identity,identity provider,IdP,log in with Google}'),
    (2, '{on-prem,on-premise,on-premises,self-hosted,own servers,own data center,private cloud,air-gapped,behind their firewall}'),
    (3, '{SOC 2,SOC2,SOC II,SOC 2 Type II,SOC report,ISO 27001,security certification,attestation,penetration test,pen test}'),
    (4, '{security review,security questionnaire,infosec,information security,vendor risk,vendor assessment,CISO,security team}'),
    (5, '{GDPR,EU,Europe,European,data residency,data sovereignty,EU hosting,hosted in the EU,hosted in Europe,Schrems,DPA,data processing agreement}'),
    (6, '{HIPAA,PHI,BAA,business associate agreement,patient data,protected health information,medical records,health data}'),
    (7, '{price,pricing,cost,costs,expensive,pricey,overpriced,cheaper,cheap,discount,afford,affordable,too much money,quote,half the price,lower price}'),
    (43, '{competitor,competitors,competition,competing,rival,rivals,alternative,alternatives,another vendor,other vendors,other guys,the other option}'),
    (8, '{budget,no budget,budget freeze,spending freeze,no funds,no money,fiscal year,new spend,funding for this}'),
    (9, '{CRM,Salesforce,SFDC,HubSpot,Microsoft Dynamics,Pipedrive,Zoho}'),
    (10, '{integration,integrate,integrations,connector,native integration,two-way sync,sync,plugin,add-on}'),
    (11, '{API,REST API,GraphQL,SDK,webhooks,programmatic access,programmatically,developer docs,API docs}'),
    (12, '{contract,commitment,commit,lock-in,locked in,multi-year,annual contract,12 month,month-to-month,cancel,cancellation,termination,auto-renewal}'),
    (13, '{implementation,implement,onboarding,setup,rollout,go-live,deployment time,time to value,ramp up}'),
    (14, '{customer support,customer service,help desk,response time,response times,tickets,SLA,24/7,CSM,customer success manager,account manager}'),
    (15, '{encryption,encrypt,encrypted,at rest,in transit,BYOK,bring your own key,customer-managed keys,KMS,AES-256}'),
    (16, '{uptime,downtime,outage,outages,reliability,reliable,availability,99.9%,crash,crashes,unstable,stability,incident,status page}'),
    (17, '{performance,slow,speed,latency,lag,laggy,load time,scalability,scale}'),
    (18, '{reporting,dashboard,dashboards,analytics,insights,KPI,KPIs,BI,Tableau,Power BI,Looker,custom reports}'),
    (19, '{mobile,mobile app,iOS,Android,iPhone,iPad,tablet,tablets,smartphone,phone,phones,on the go,in the field,offline}'),
    (20, '{ROI,return on investment,business case,payback,payback period,cost savings,saves money,justify the cost,prove value}'),
    (21, '{permissions,permission,roles,user roles,RBAC,role-based access,access control,granular permissions,fine-grained,read-only,restrict access,restricted access}'),
    (22, '{audit log,audit trail,activity log,change history,edit history,who changed what,SOX}'),
    (23, '{migration,migrate,migrating,switching costs,switching,rip and replace,move their data,data import,replace their current}'),
    (24, '{incumbent,existing vendor,current vendor,current provider,current tool,already use,already using,status quo,happy with what they have}'),
    (25, '{build in-house,in-house,homegrown,home-grown,build it themselves,DIY,internal tool,internal build,their own engineers}'),
    (26, '{hard to use,difficult to use,complicated,complex,confusing,clunky,learning curve,usability,user-friendly,UX,not intuitive,too many clicks}'),
    (27, '{training,enablement,train their staff,train users}'),
    (28, '{procurement,purchasing,vendor onboarding,vendor registration,legal review,redlines,MSA,master services agreement,purchase process,three quotes}'),
    (29, '{references,reference customers,case study,case studies,customer stories,testimonials,customer logos,similar customers,peers using it}'),
    (30, '{too small,startup,vendor viability,viability,financial stability,runway,out of business,still be around,still exist,bankrupt,acquired,established vendor,established companies}'),
    (31, '{per seat,per-seat,per user,seat-based,seats,user-based pricing,licensing,license,licenses,site license,unlimited users}'),
    (32, '{free trial,trial,POC,proof of concept,pilot,sandbox,test drive,trying it,evaluation period}'),
    (33, '{language,languages,localization,localized,translation,translations,multilingual,Japanese,German,French,Spanish,Portuguese,Chinese}'),
    (34, '{accessibility,accessible,WCAG,ADA,Section 508,508 compliance,screen reader,VPAT}'),
    (35, '{AI,artificial intelligence,machine learning,ML,LLM,generative AI,GenAI,ChatGPT,copilot,AI assistant}'),
    (36, '{privacy,data privacy,personal data,personal information,PII,CCPA,DPO,data protection}'),
    (37, '{export,CSV,Excel,spreadsheet,spreadsheets,download the data}'),
    (38, '{customization,customize,customise,custom fields,configurable,flexibility,tailor,white-label}'),
    (39, '{timing,not a priority,next quarter,next year,bad timing,no urgency,later this year,revisit in}'),
    (40, '{decision maker,champion,executive sponsor,stakeholders,approval,board approval}'),
    (41, '{Slack,Microsoft Teams,MS Teams}'),
    (42, '{two-factor,2FA,MFA,multi-factor,authenticator}');

-- Copies the starter vocabulary into a new organization.
CREATE FUNCTION roadwork_seed_synonyms() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO synonym_groups (org_id, terms) SELECT NEW.id, terms FROM synonym_starter ORDER BY position;
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_seed_synonyms AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION roadwork_seed_synonyms();

-- Adds an objection's statement words to what it matches (reports teach through roadwork_teach_queued). Words new to the
-- objection count one more objection in the vocabulary (a word used by more than 50 is left alone). PL/pgSQL, so the
-- statement is planned once per session rather than on every call.
CREATE FUNCTION roadwork_add_statement_terms(p_org uuid, p_objection uuid, p_doc tsvector) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    WITH added AS (
        INSERT INTO objection_terms (org_id, lexeme, objection_id, in_statement)
        SELECT p_org, l, p_objection, true FROM unnest(tsvector_to_array(p_doc)) l
        ON CONFLICT (org_id, lexeme, objection_id) DO UPDATE SET in_statement = true
        RETURNING lexeme, xmax = 0 AS spread),
    fresh AS (
        INSERT INTO search_vocabulary (org_id, lexeme, objections) SELECT p_org, lexeme, 1 FROM added WHERE spread
        ON CONFLICT DO NOTHING RETURNING lexeme)
    UPDATE search_vocabulary v SET objections = v.objections + 1 FROM added a
    WHERE a.spread AND v.org_id = p_org AND v.lexeme = a.lexeme COLLATE "C" AND v.objections <= 50
      AND NOT EXISTS (SELECT FROM fresh f WHERE f.lexeme = a.lexeme);
END
$$;

-- Counts every stem's objections again, for an organization (bulk loads and this migration).
CREATE FUNCTION roadwork_count_vocabulary(p_org uuid) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO search_vocabulary (org_id, lexeme, objections)
    SELECT p_org, lexeme, least(51, count(*)) FROM objection_terms WHERE org_id = p_org GROUP BY lexeme
    ON CONFLICT (org_id, lexeme) DO UPDATE SET objections = EXCLUDED.objections
    WHERE search_vocabulary.objections IS DISTINCT FROM EXCLUDED.objections;
    $$;

-- Keeps an objection's statement words equal to its statement; a new objection starts its search state.
CREATE FUNCTION roadwork_index_statement() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO objection_search (objection_id, org_id) VALUES (NEW.id, NEW.org_id);
        INSERT INTO search_totals (org_id, objections) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET objections = search_totals.objections + 1;
    ELSE
        UPDATE objection_terms SET in_statement = false WHERE objection_id = NEW.id AND in_statement;
        DELETE FROM objection_terms WHERE objection_id = NEW.id AND phrasings = 0 AND NOT in_statement;
    END IF;
    UPDATE objection_search SET statement_stems = length(roadwork_search_doc(NEW.statement)) WHERE objection_id = NEW.id;
    PERFORM roadwork_add_statement_terms(NEW.org_id, NEW.id, roadwork_search_doc(NEW.statement, true));
    RETURN NULL;
END
$$;
CREATE TRIGGER objections_statement_indexed AFTER INSERT ON objections
    FOR EACH ROW EXECUTE FUNCTION roadwork_index_statement();
CREATE TRIGGER objections_statement_reindexed AFTER UPDATE OF statement ON objections
    FOR EACH ROW WHEN (OLD.statement IS DISTINCT FROM NEW.statement) EXECUTE FUNCTION roadwork_index_statement();

-- How many reports teach one objection: enough wordings to recognise a wall, and filing against a well-known wall stays
-- one cheap check.
CREATE FUNCTION roadwork_teaching_cap() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 50 $$;

-- Teaches queued reports, up to p_limit, in a few set-based statements: each the objection it counts for now (after any
-- merge or move since it was queued), if that objection has taught fewer than roadwork_teaching_cap() reports. Runs as
-- the owner across organizations (a background worker); several processes at once each take different reports.
CREATE FUNCTION roadwork_teach_queued(p_limit integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_taken uuid[];
    v_spread integer;
BEGIN
    WITH taken AS (
        DELETE FROM teaching_queue q WHERE q.report_id IN (
            SELECT report_id FROM teaching_queue ORDER BY queued_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING q.report_id)
    SELECT coalesce(array_agg(report_id), '{}') INTO v_taken FROM taken;
    IF cardinality(v_taken) = 0 THEN
        RETURN 0;
    END IF;
    -- Another teacher may be teaching the same objections: one at a time (in a fixed order, so never a deadlock), and the
    -- statement below, started after the wait, counts what the other one taught.
    PERFORM FROM objection_search WHERE objection_id IN (SELECT counted_objection_id FROM field_reports WHERE id = ANY (v_taken))
    ORDER BY objection_id FOR UPDATE;
    WITH taken AS (
        SELECT unnest(v_taken) AS report_id),
    reports AS (
        SELECT r.id, r.org_id, r.counted_objection_id AS objection_id, roadwork_learned_doc(r.summary) AS doc,
               row_number() OVER (PARTITION BY r.counted_objection_id ORDER BY r.created_at, r.id) AS k
        FROM taken t JOIN field_reports r ON r.id = t.report_id
        WHERE r.counted_objection_id IS NOT NULL AND NOT EXISTS (SELECT FROM learned_reports l WHERE l.report_id = r.id)),
    taught AS (
        SELECT o.objection_id, (SELECT count(*) FROM learned_reports l WHERE l.objection_id = o.objection_id) AS n
        FROM (SELECT DISTINCT objection_id FROM reports) o),
    chosen AS (
        SELECT r.* FROM reports r JOIN taught t ON t.objection_id = r.objection_id WHERE r.k <= roadwork_teaching_cap() - t.n),
    marked AS (
        INSERT INTO learned_reports (report_id, org_id, objection_id) SELECT id, org_id, objection_id FROM chosen
        ON CONFLICT DO NOTHING RETURNING report_id),
    words AS (
        SELECT c.org_id, c.objection_id, w.lexeme, count(*) AS n
        FROM chosen c JOIN marked m ON m.report_id = c.id CROSS JOIN LATERAL unnest(tsvector_to_array(c.doc)) w(lexeme)
        GROUP BY c.org_id, c.objection_id, w.lexeme),
    added AS (
        INSERT INTO objection_terms (org_id, lexeme, objection_id, phrasings) SELECT org_id, lexeme, objection_id, n FROM words
        ON CONFLICT (org_id, lexeme, objection_id) DO UPDATE SET phrasings = objection_terms.phrasings + EXCLUDED.phrasings
        RETURNING org_id, lexeme, xmax = 0 AS spread),
    spread AS (
        SELECT org_id, lexeme, count(*) AS n FROM added WHERE spread GROUP BY org_id, lexeme),
    fresh AS (
        INSERT INTO search_vocabulary (org_id, lexeme, objections) SELECT org_id, lexeme, least(51, n) FROM spread
        ON CONFLICT DO NOTHING RETURNING org_id, lexeme),
    counted AS (
        UPDATE search_vocabulary v SET objections = least(51, v.objections + s.n) FROM spread s
        WHERE v.org_id = s.org_id AND v.lexeme = s.lexeme COLLATE "C" AND v.objections <= 50
          AND NOT EXISTS (SELECT FROM fresh f WHERE f.org_id = s.org_id AND f.lexeme = s.lexeme)
        RETURNING 1)
    SELECT count(*) INTO v_spread FROM counted;
    RETURN cardinality(v_taken);
END
$$;
REVOKE ALL ON FUNCTION roadwork_teach_queued(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_teach_queued(integer) TO roadwork_app;

-- Takes a report's wording back from the objection it taught (the report is being moved to another objection).
CREATE FUNCTION roadwork_unlearn_report(p_report uuid) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    v_org uuid;
    v_objection uuid;
BEGIN
    DELETE FROM learned_reports WHERE report_id = p_report RETURNING org_id, objection_id INTO v_org, v_objection;
    IF v_objection IS NULL THEN
        RETURN;
    END IF;
    UPDATE objection_terms SET phrasings = phrasings - 1
    WHERE org_id = v_org AND objection_id = v_objection AND phrasings > 0
      AND lexeme = ANY (SELECT unnest(tsvector_to_array(roadwork_learned_doc(summary))) FROM field_reports WHERE id = p_report);
    DELETE FROM objection_terms WHERE objection_id = v_objection AND phrasings = 0 AND NOT in_statement;
END
$$;

-- A merge carries the source's words to the target: its statement becomes one more wording the target was taught.
CREATE FUNCTION roadwork_merge_terms(p_source uuid, p_target uuid) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    v_org uuid;
BEGIN
    DELETE FROM objection_search WHERE objection_id = p_source RETURNING org_id INTO v_org;
    IF v_org IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO objection_terms (org_id, lexeme, objection_id, in_statement, phrasings)
    SELECT org_id, lexeme, p_target, false, phrasings + in_statement::integer FROM objection_terms WHERE objection_id = p_source
    ON CONFLICT (org_id, lexeme, objection_id) DO UPDATE SET phrasings = objection_terms.phrasings + EXCLUDED.phrasings;
    DELETE FROM objection_terms WHERE objection_id = p_source;
    UPDATE learned_reports SET objection_id = p_target WHERE objection_id = p_source;
    UPDATE search_totals SET objections = objections - 1 WHERE org_id = v_org;
END
$$;

-- Teaches every objection of an organization from its reports that have not taught yet, up to the cap, in a few set-based
-- statements (bulk loads and this migration; the write path teaches one report at a time).
CREATE FUNCTION roadwork_learn_unlearned(p_org uuid) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE teaching ON COMMIT DROP AS
    WITH learned AS (SELECT objection_id, count(*) AS n FROM learned_reports WHERE org_id = p_org GROUP BY objection_id)
    SELECT r.id, r.objection_id, roadwork_learned_doc(r.summary) AS doc FROM (
        SELECT r.id, r.counted_objection_id AS objection_id, r.summary, coalesce(l.n, 0) AS learned,
               row_number() OVER (PARTITION BY r.counted_objection_id ORDER BY r.created_at, r.id) AS k
        FROM field_reports r JOIN objection_search s ON s.objection_id = r.counted_objection_id
        LEFT JOIN learned l ON l.objection_id = r.counted_objection_id
        WHERE r.org_id = p_org AND coalesce(l.n, 0) < roadwork_teaching_cap()
          AND NOT EXISTS (SELECT FROM learned_reports x WHERE x.report_id = r.id)) r
    WHERE r.k <= roadwork_teaching_cap() - r.learned;
    INSERT INTO learned_reports (report_id, org_id, objection_id) SELECT id, p_org, objection_id FROM teaching;
    INSERT INTO objection_terms (org_id, lexeme, objection_id, phrasings)
    SELECT p_org, l, t.objection_id, count(*) FROM teaching t, unnest(tsvector_to_array(t.doc)) l GROUP BY l, t.objection_id
    ON CONFLICT (org_id, lexeme, objection_id) DO UPDATE SET phrasings = objection_terms.phrasings + EXCLUDED.phrasings;
    PERFORM roadwork_count_vocabulary(p_org);
    DROP TABLE teaching;
END
$$;

-- Ranks open objections for several texts at once (one statement for a whole triage inbox). A text becomes units of
-- meaning: each synonym group it mentions, and each of its own stems no group covers; a stem the organization never used
-- also looks for look-alike stems (word-level trigram likeness), for typos and cut-off words. A unit weighs its rarity
-- (idf over the organization's objections); an objection earns a unit's weight by its statement (in full) or by the
-- reports that taught it (half, up to 0.8 when four or more of them use the word). A synonym group is curated meaning: matching one
-- counts 1.25× (1.1× through another term of the group than the one the text used). `similarity` is the share of the
-- text's weight an objection earned (0–1); `relevance` ranks. Rows come best first for each text, with the objections'
-- columns, so callers need not join back.
CREATE FUNCTION roadwork_match_objections(p_texts text[], p_limit integer)
    RETURNS TABLE (query_no integer, id uuid, statement text, obstacle_id uuid, status text, merged_into_id uuid,
                   report_count integer, version integer, created_at timestamptz, updated_at timestamptz,
                   similarity double precision, relevance double precision)
    -- One plan per session whatever the texts; its cost is estimated without them, high enough to have been JIT-compiled
    -- on every call (1.7 s), so JIT is off.
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan SET jit = off
    AS $$
#variable_conflict use_column
DECLARE
    v_org uuid := roadwork_current_org();
    v_objections double precision;
    v_common integer;
BEGIN
    SELECT objections INTO v_objections FROM search_totals WHERE org_id = v_org;
    -- One objection in a hundred, at least 20 and at most 50: past that, how common a word is hardly changes its weight.
    v_common := least(50, greatest(20, v_objections / 100))::integer;
    IF v_org IS NULL OR coalesce(v_objections, 0) = 0 THEN
        RETURN;
    END IF;
    -- A text matches only through a synonym term, a stem few objections use, a common stem some statement says, or a stem
    -- the organization never used (it may have look-alikes). Texts with none of these find nothing: a few index probes
    -- say so without running the scoring below (the same answer, at a fraction of the cost).
    IF NOT EXISTS (
        SELECT FROM unnest(p_texts) x(t) CROSS JOIN LATERAL unnest(tsvector_to_array(roadwork_search_doc(x.t, true))) w(lexeme)
        LEFT JOIN LATERAL (SELECT v.objections FROM search_vocabulary v
                           WHERE v.org_id = v_org AND v.lexeme = w.lexeme COLLATE "C" LIMIT 1) v ON true
        WHERE EXISTS (SELECT FROM synonym_terms s WHERE s.org_id = v_org AND s.lexemes[1] = w.lexeme)
           OR (w.lexeme <> ALL (roadwork_filler_words())
               AND (coalesce(v.objections, 0) = 0 AND length(w.lexeme) >= 4 AND w.lexeme !~ '^[0-9]'
                    OR v.objections BETWEEN 1 AND v_common
                    OR v.objections > v_common AND EXISTS (
                        SELECT FROM objection_terms t WHERE t.org_id = v_org AND t.lexeme = w.lexeme AND t.in_statement)))
    ) THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH texts AS (
        SELECT x.n::integer AS n, roadwork_search_doc(x.t, true) AS doc FROM unnest(p_texts) WITH ORDINALITY AS x(t, n)
    ),
    spotted AS (
        SELECT t.n, s.group_id, s.term, s.lexemes FROM texts t CROSS JOIN LATERAL (
            SELECT s.group_id, s.term, s.lexemes FROM synonym_terms s
            WHERE s.org_id = v_org AND s.lexemes[1] = ANY (tsvector_to_array(t.doc)) AND s.lexemes <@ tsvector_to_array(t.doc)) s
    ),
    own AS (
        SELECT t.n, w.lexeme FROM texts t CROSS JOIN LATERAL unnest(ts_delete(t.doc, roadwork_filler_words())) w
        WHERE NOT EXISTS (SELECT FROM spotted s WHERE s.n = t.n AND w.lexeme = ANY (s.lexemes))
    ),
    alternatives AS (
        SELECT row_number() OVER () AS alt, a.* FROM (
            SELECT o.n, 'w:' || o.lexeme AS unit, ARRAY[o.lexeme] AS lexemes, 1.0::double precision AS weight FROM own o
            UNION ALL
            SELECT o.n, 'w:' || o.lexeme, ARRAY[f.lexeme COLLATE "default"], f.likeness FROM own o CROSS JOIN LATERAL (
                -- Trigram likeness as whole words (typos), or 0.75 for a longer stem the word begins (cut off while
                -- typing); among at most 100 stems sharing its first three letters, so a look-up has a bounded cost.
                SELECT v.lexeme, l.likeness FROM (
                    SELECT v.lexeme FROM search_vocabulary v
                    WHERE v.org_id = v_org AND v.lexeme >= left(o.lexeme, 3) COLLATE "C" AND v.lexeme < left(o.lexeme, 3) || chr(1114111) COLLATE "C"
                    LIMIT 100) v
                CROSS JOIN LATERAL (SELECT greatest(similarity(v.lexeme, o.lexeme),
                                                    CASE WHEN starts_with(v.lexeme, o.lexeme) THEN 0.75 ELSE 0 END)::double precision AS likeness) l
                WHERE l.likeness >= 0.4
                ORDER BY l.likeness DESC, v.lexeme LIMIT 2) f
            WHERE length(o.lexeme) >= 4 AND o.lexeme !~ '^[0-9]'
              AND NOT EXISTS (SELECT FROM search_vocabulary k WHERE k.org_id = v_org AND k.lexeme = o.lexeme COLLATE "C" AND k.objections > 0)
            UNION ALL
            SELECT g.n, 'g:' || g.group_id, s.lexemes,
                   CASE WHEN EXISTS (SELECT FROM spotted x WHERE x.n = g.n AND x.group_id = g.group_id AND x.term = s.term)
                        THEN 1.25 ELSE 1.1 END
            FROM (SELECT DISTINCT n, group_id FROM spotted) g
            CROSS JOIN LATERAL (SELECT s.term, s.lexemes FROM synonym_terms s WHERE s.group_id = g.group_id LIMIT 100) s
        ) a
    ),
    stems AS (
        SELECT DISTINCT a.n, l.lexeme FROM alternatives a CROSS JOIN LATERAL unnest(a.lexemes) l(lexeme)
    ),
    -- How many objections each stem points to (the vocabulary's count). A stem in more than v_common is common: it only
    -- adds to objections found by rarer ones (or, when a text has no rarer one, to those whose statement says it), so a
    -- search reads a bounded number of rows.
    rarity AS (
        SELECT s.n, s.lexeme, v.objections AS df FROM stems s CROSS JOIN LATERAL (
            SELECT v.objections FROM search_vocabulary v WHERE v.org_id = v_org AND v.lexeme = s.lexeme COLLATE "C" AND v.objections > 0 LIMIT 1) v
    ),
    hits AS (
        SELECT r.lexeme, p.objection_id, p.in_statement, p.phrasings FROM (SELECT DISTINCT lexeme FROM rarity WHERE df <= v_common) r
        CROSS JOIN LATERAL (
            SELECT t.objection_id, t.in_statement, t.phrasings FROM objection_terms t
            WHERE t.org_id = v_org AND t.lexeme = r.lexeme LIMIT 4 * v_common) p
    ),
    -- For a text with no rare stem, the statements that say one of its common stems (a few per stem): these are both its
    -- candidates and all the evidence counted for it (its common stems are not looked up among what reports taught).
    stated AS (
        SELECT r.n, r.lexeme, t.objection_id, r.df FROM rarity r CROSS JOIN LATERAL (
            SELECT t.objection_id FROM objection_terms t WHERE t.org_id = v_org AND t.lexeme = r.lexeme AND t.in_statement LIMIT 20) t
        WHERE r.df > v_common AND NOT EXISTS (SELECT FROM rarity x WHERE x.n = r.n AND x.df <= v_common)
    ),
    candidates AS (
        SELECT DISTINCT r.n, h.objection_id FROM rarity r JOIN hits h ON h.lexeme = r.lexeme WHERE r.df <= v_common
        UNION
        SELECT n, objection_id FROM stated
    ),
    -- Each text's stems among its own candidates, and how strongly each candidate says them.
    strengths AS (
        SELECT p.n, p.lexeme, p.objection_id, p.df, p.in_statement,
               CASE WHEN p.in_statement THEN 1.0 ELSE least(0.8, 0.4 + 0.1 * p.phrasings) END AS strength
        FROM (
            SELECT r.n, h.lexeme, h.objection_id, h.in_statement, h.phrasings, r.df
            FROM rarity r JOIN hits h ON h.lexeme = r.lexeme JOIN candidates c ON c.n = r.n AND c.objection_id = h.objection_id
            WHERE r.df <= v_common
            UNION ALL
            SELECT r.n, r.lexeme, t.objection_id, t.in_statement, t.phrasings, r.df
            FROM rarity r JOIN candidates c ON c.n = r.n CROSS JOIN LATERAL (
                SELECT t.objection_id, t.in_statement, t.phrasings FROM objection_terms t
                WHERE t.org_id = v_org AND t.lexeme = r.lexeme AND t.objection_id = c.objection_id LIMIT 1) t
            WHERE r.df > v_common AND EXISTS (SELECT FROM rarity x WHERE x.n = r.n AND x.df <= v_common)
            UNION ALL
            SELECT n, lexeme, objection_id, true, 0, df FROM stated) p
    ),
    matched AS (
        SELECT a.n, a.unit, x.objection_id, a.weight * min(x.strength) AS strength, max(x.df) AS df,
               count(*) FILTER (WHERE x.in_statement) AS said
        FROM alternatives a CROSS JOIN LATERAL unnest(a.lexemes) l(lexeme) JOIN strengths x ON x.n = a.n AND x.lexeme = l.lexeme
        GROUP BY a.alt, a.n, a.unit, a.weight, x.objection_id, cardinality(a.lexemes)
        HAVING count(*) = cardinality(a.lexemes)
    ),
    units AS (
        SELECT a.n, a.unit, ln(1 + v_objections / greatest(1, r.objections, r.common)) AS idf, r.unit IS NOT NULL AS known
        FROM (SELECT DISTINCT n, unit FROM alternatives) a LEFT JOIN (
            SELECT n, unit, count(DISTINCT objection_id) AS objections, max(df) FILTER (WHERE df > v_common) AS common
            FROM matched GROUP BY n, unit) r ON r.n = a.n AND r.unit = a.unit
    ),
    totals AS (
        SELECT n, sum(CASE WHEN known THEN idf ELSE idf / 2 END) AS weight FROM units GROUP BY n
    ),
    -- Summed over the text's units, times the share of the objection's statement the text says (0.8× for none of it,
    -- 1.2× for all of it).
    covered AS (
        SELECT s.n, s.objection_id, s.relevance * (0.8 + 0.4 * least(1.0, s.said::double precision
                   / greatest((SELECT statement_stems FROM objection_search WHERE objection_id = s.objection_id), 1))) AS relevance
        FROM (
            SELECT m.n, m.objection_id, sum(u.idf * m.strength) AS relevance, sum(m.said) AS said
            FROM (SELECT n, unit, objection_id, max(strength) AS strength, max(said) AS said FROM matched GROUP BY n, unit, objection_id) m
            JOIN units u ON u.n = m.n AND u.unit = m.unit
            GROUP BY m.n, m.objection_id) s
    ),
    ranked AS (
        SELECT s.n, o.id, o.statement, o.obstacle_id, o.status, o.merged_into_id, o.report_count, o.version, o.created_at,
               o.updated_at, least(1.0, s.relevance / t.weight) AS similarity, s.relevance,
               row_number() OVER (PARTITION BY s.n ORDER BY s.relevance DESC, o.report_count DESC, o.id) AS place
        FROM covered s JOIN totals t ON t.n = s.n CROSS JOIN LATERAL (
            SELECT o.* FROM objections o WHERE o.id = s.objection_id AND o.status = 'open' LIMIT 1) o
    )
    SELECT r.n, r.id, r.statement, r.obstacle_id, r.status, r.merged_into_id, r.report_count, r.version, r.created_at,
           r.updated_at, r.similarity, r.relevance
    FROM ranked r WHERE r.place <= p_limit ORDER BY r.n, r.place;
END
$$;
REVOKE ALL ON FUNCTION roadwork_match_objections(text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION roadwork_match_objections(text[], integer) TO roadwork_app;

-- The old whole-string search is gone: callers use roadwork_match_objections, for one text or many.
DROP FUNCTION roadwork_similar_objections(text, integer);

-- The statements' trigram copy (migration 0007) served the old search only.
DROP TRIGGER objections_statement_added ON objections;
DROP TRIGGER objections_statement_changed ON objections;
DROP FUNCTION roadwork_copy_statement();
DROP TABLE objection_statements;

-- Existing organizations: the starter vocabulary, every statement, and what their triaged reports teach.
INSERT INTO synonym_groups (org_id, terms) SELECT o.id, s.terms FROM organizations o CROSS JOIN synonym_starter s ORDER BY o.id, s.position;
INSERT INTO objection_search (objection_id, org_id, statement_stems)
SELECT id, org_id, length(roadwork_search_doc(statement)) FROM objections WHERE status <> 'merged';
INSERT INTO search_totals (org_id, objections) SELECT org_id, count(*) FROM objection_search GROUP BY org_id;
INSERT INTO objection_terms (org_id, lexeme, objection_id, in_statement)
SELECT o.org_id, l, o.id, true FROM objections o, unnest(tsvector_to_array(roadwork_search_doc(o.statement, true))) l WHERE o.status <> 'merged';
INSERT INTO objection_terms (org_id, lexeme, objection_id, phrasings)
SELECT o.org_id, l, o.merged_into_id, count(*) FROM objections o, unnest(tsvector_to_array(roadwork_search_doc(o.statement, true))) l
WHERE o.status = 'merged' GROUP BY o.org_id, l, o.merged_into_id
ON CONFLICT (org_id, lexeme, objection_id) DO UPDATE SET phrasings = objection_terms.phrasings + EXCLUDED.phrasings;
SELECT roadwork_learn_unlearned(id) FROM organizations;
