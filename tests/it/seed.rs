//! The official registry's seed data through `lint`: real server.json documents, read from
//! `../shared/spec/` at test time (never copied here), one file per server. They lint clean
//! but for the entries that truly break the current schema, which are named below.
//!
//! The pre-release seed (2025-10-03) also predates a later official rule: an OCI package's tag
//! now goes in `identifier`, without `version` or `registryBaseUrl`. Its 88 OCI packages break
//! that `package-transport` rule; that rule is the semantic checks' to test, so it is not
//! counted here. The current seed is held to every rule.

use crate::common::lint;
use crate::common::seed::seed_repo;
use mcp_gitops::check::diagnostic::Rule;
use std::collections::BTreeSet;
use std::path::Path;

/// Lints a seed and compares its errors (but those of `ignored` rules), as `file rule`, with
/// `expected`. Warnings of the schema rules are not expected either: every field of the seed is
/// one the schema defines.
fn assert_lints_to(
    seed: &Path,
    ignored: &[Rule],
    expected: &BTreeSet<String>,
) -> mcp_gitops::check::validate::Checked {
    let repo = seed_repo(seed);
    let checked = lint(repo.path(), None);
    let counted = || {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && !ignored.contains(&d.rule))
    };
    let errors: BTreeSet<String> = counted()
        .map(|d| format!("{} {}", d.file, d.rule))
        .collect();
    let unexpected: Vec<String> = counted()
        .filter(|d| !expected.contains(&format!("{} {}", d.file, d.rule)))
        .map(ToString::to_string)
        .collect();
    let missing: Vec<&String> = expected.difference(&errors).collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "{}: unexpected errors:\n{}\nexpected but not reported: {missing:?}",
        seed.display(),
        unexpected.join("\n")
    );
    let warnings: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| {
            !d.is_error() && (d.rule.id().starts_with("schema-") || d.rule == Rule::UnknownField)
        })
        .map(ToString::to_string)
        .collect();
    assert!(
        warnings.is_empty(),
        "schema warnings:\n{}",
        warnings.join("\n")
    );
    checked
}

#[test]
fn the_pre_release_seed_lints_clean_but_for_descriptions_the_schema_rejects() {
    let seed = crate::spec_or_skip!().join("seed-2025-10-03-pre/seed.json");
    let expected: BTreeSet<String> = DESCRIPTION_TOO_LONG
        .iter()
        .chain(DESCRIPTION_EMPTY)
        .map(|file| format!("{file} {}", Rule::SchemaLength))
        .collect();
    let checked = assert_lints_to(&seed, &[Rule::PackageTransport], &expected);
    assert_eq!(checked.files, 358);
    // And each for the reason named.
    for d in checked
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::SchemaLength)
    {
        let file = d.file.as_str();
        if DESCRIPTION_TOO_LONG.contains(&file) {
            assert!(
                d.message
                    .starts_with("`description` must be at most 100 characters"),
                "{d}"
            );
        } else if DESCRIPTION_EMPTY.contains(&file) {
            assert_eq!(d.message, "`description` must not be empty", "{d}");
        }
    }
}

#[test]
fn the_current_seed_lints_clean() {
    let seed = crate::spec_or_skip!().join("seed.json");
    let checked = assert_lints_to(&seed, &[], &BTreeSet::new());
    // io.github.domdomegg/airtable-mcp-server comes twice: one file, two versions.
    assert_eq!((checked.files, checked.versions()), (3, 4));
}

/// Seed entries whose `description` is longer than the schema's 100 characters. (The seed
/// predates that limit.)
const DESCRIPTION_TOO_LONG: &[&str] = &[
    "servers/io.github.21st-dev/magic-mcp.yaml",
    "servers/io.github.agentrpc/agentrpc.yaml",
    "servers/io.github.audienseco/mcp-audiense-insights.yaml",
    "servers/io.github.bitrise-io/bitrise-mcp.yaml",
    "servers/io.github.circleci-public/mcp-server-circleci.yaml",
    "servers/io.github.comet-ml/opik-mcp.yaml",
    "servers/io.github.edubase/mcp.yaml",
    "servers/io.github.mendableai/firecrawl-mcp-server.yaml",
    "servers/io.github.jetbrains/mcp-jetbrains.yaml",
    "servers/io.github.langfuse/mcp-server-langfuse.yaml",
    "servers/io.github.lingodotdev/lingo.dev.yaml",
    "servers/io.github.octagonai/octagon-mcp-server.yaml",
    "servers/io.github.paddlehq/paddle-mcp-server.yaml",
    "servers/io.github.msgbyte/tianji.yaml",
    "servers/io.github.domdomegg/airtable-mcp-server.yaml",
    "servers/io.github.felores/airtable-mcp.yaml",
    "servers/io.github.ravenwits/mcp-server-arangodb.yaml",
    "servers/io.github.vishalmysore/choturobo.yaml",
    "servers/io.github.baryhuang/mcp-server-aws-resources-python.yaml",
    "servers/io.github.pab1it0/adx-mcp-server.yaml",
    "servers/io.github.vortiago/mcp-azure-devops.yaml",
    "servers/io.github.basicmachines-co/basic-memory.yaml",
    "servers/io.github.ergut/mcp-bigquery-server.yaml",
    "servers/io.github.lloydzhou/bitable-mcp.yaml",
    "servers/io.github.zilongxue/claude-post.yaml",
    "servers/io.github.bazinga012/mcp_code_executor.yaml",
    "servers/io.github.longmans/coin_api_mcp.yaml",
    "servers/io.github.baryhuang/mcp-remote-macos-use.yaml",
    "servers/io.github.dappierai/dappier-mcp.yaml",
    "servers/io.github.66julienmartin/mcp-server-deepseek_r1.yaml",
    "servers/io.github.ruixingshi/deepseek-thinker-mcp.yaml",
    "servers/io.github.szeider/mcp-dblp.yaml",
    "servers/io.github.tencentedgeone/edgeone-pages-mcp.yaml",
    "servers/io.github.vrknetha/mcp-server-firecrawl.yaml",
    "servers/io.github.mfydev/ghost-mcp.yaml",
    "servers/io.github.gongrzhe/gmail-mcp-server.yaml",
    "servers/io.github.baryhuang/mcp-headless-gmail.yaml",
    "servers/io.github.coding-solo/godot-mcp.yaml",
    "servers/io.github.xing5/mcp-google-sheets.yaml",
    "servers/io.github.horizondatawave/hdw-mcp-server.yaml",
    "servers/io.github.buryhuang/mcp-hubspot.yaml",
    "servers/io.github.iflytek/ifly-workflow-mcp-server.yaml",
    "servers/io.github.inditextech/mcp-server-simulator-ios-idb.yaml",
    "servers/io.github.ferrislucas/iterm-mcp.yaml",
    "servers/io.github.christophenglisch/keycloak-model-context-protocol.yaml",
    "servers/io.github.kong/mcp-konnect.yaml",
    "servers/io.github.gongrzhe/langflow-doc-qa-server.yaml",
    "servers/io.github.tacticlaunch/mcp-linear.yaml",
    "servers/io.github.jerhadf/linear-mcp-server.yaml",
    "servers/io.github.cyberchitta/llm-context.py.yaml",
    "servers/io.github.carterlasalle/mac_messages_mcp.yaml",
    "servers/io.github.metricool/mcp-metricool.yaml",
    "servers/io.github.mobile-next/mobile-mcp.yaml",
    "servers/io.github.benborla/mcp-server-mysql.yaml",
    "servers/io.github.programcomputer/nasa-mcp-server.yaml",
    "servers/io.github.r-huijts/ns-mcp-server.yaml",
    "servers/io.github.bigcodegen/mcp-neovim-server.yaml",
    "servers/io.github.gitmotion/ntfy-me-mcp.yaml",
    "servers/io.github.gongrzhe/office-powerpoint-mcp-server.yaml",
    "servers/io.github.gongrzhe/office-word-mcp-server.yaml",
    "servers/io.github.baryhuang/mcp-server-any-openapi.yaml",
    "servers/io.github.open-strategy-partners/osp_marketing_tools.yaml",
    "servers/io.github.vortiago/mcp-outline.yaml",
    "servers/io.github.sv/mcp-paradex-py.yaml",
    "servers/io.github.executeautomation/mcp-playwright.yaml",
    "servers/io.github.pab1it0/prometheus-mcp-server.yaml",
    "servers/io.github.gongrzhe/quickchart-mcp-server.yaml",
    "servers/io.github.hiromitsusasaki/raindrop-io-mcp-server.yaml",
    "servers/io.github.gongrzhe/redis-mcp-server.yaml",
    "servers/io.github.prajwalnayak7/mcp-server-redis.yaml",
    "servers/io.github.xxxbrian/mcp-rquest.yaml",
    "servers/io.github.cyberchitta/scrapling-fetch-mcp.yaml",
    "servers/io.github.r-huijts/strava-mcp.yaml",
    "servers/io.github.gongrzhe/terminal-controller-mcp.yaml",
    "servers/io.github.alexarevalo9/ticktick-mcp-server.yaml",
    "servers/io.github.codergamester/mcp-unity.yaml",
    "servers/io.github.enescinr/twitter-mcp.yaml",
    "servers/io.github.pathintegral-institute/mcpm.sh.yaml",
];

/// Seed entries whose `description` is empty; the schema asks for at least one character.
const DESCRIPTION_EMPTY: &[&str] = &[
    "servers/io.github.clickhouse/mcp-clickhouse.yaml",
    "servers/com.cloudflare/mcp-server-cloudflare.yaml",
    "servers/io.github.edgee-cloud/mcp-server-edgee.yaml",
    "servers/io.github.elastic/mcp-server-elasticsearch.yaml",
    "servers/io.github.fibery-inc/fibery-mcp-server.yaml",
    "servers/io.github.gotohuman/gotohuman-mcp-server.yaml",
    "servers/io.github.aliyun/alibabacloud-hologres-mcp-server.yaml",
    "servers/io.github.integration-app/mcp-server.yaml",
    "servers/io.github.translated/lara-mcp.yaml",
    "servers/io.github.redis/mcp-redis-cloud.yaml",
    "servers/io.github.mindscapehq/mcp-server-raygun.yaml",
    "servers/io.github.fatwang2/search1api-mcp.yaml",
    "servers/io.github.tavily-ai/tavily-mcp.yaml",
    "servers/io.github.tinybirdco/mcp-tinybird.yaml",
    "servers/io.github.unstructured-io/uns-mcp.yaml",
    "servers/io.github.veyrax/veyrax-mcp.yaml",
    "servers/io.github.ahujasid/ableton-mcp.yaml",
    "servers/io.github.openbnb-org/mcp-server-airbnb.yaml",
    "servers/io.github.yangkyeongmo/mcp-server-apache-airflow.yaml",
    "servers/io.github.aws-samples/sample-mcp-server-s3.yaml",
    "servers/io.github.ahujasid/blender-mcp.yaml",
    "servers/io.github.termix-official/bsc-mcp.yaml",
    "servers/io.github.reading-plus-ai/mcp-server-data-exploration.yaml",
    "servers/io.github.reading-plus-ai/mcp-server-deep-research.yaml",
    "servers/io.github.descope-sample-apps/descope-mcp-server.yaml",
    "servers/io.github.kpsunil97/devrev-mcp-server.yaml",
    "servers/io.github.ashdevfr/discourse-mcp-server.yaml",
    "servers/io.github.mamertofabian/elevenlabs-mcp-server.yaml",
    "servers/io.github.shy2593666979/mcp-server-email.yaml",
    "servers/io.github.whataboutyou-ai/eunomia-mcp-server.yaml",
    "servers/io.github.mamertofabian/mcp-everything-search.yaml",
    "servers/io.github.fastnai/mcp-fastn.yaml",
    "servers/io.github.hichana/goalstory-mcp.yaml",
    "servers/io.github.v-3/google-calendar.yaml",
    "servers/io.github.adenot/mcp-google-search.yaml",
    "servers/io.github.rohans2/mcp-google-sheets.yaml",
    "servers/io.github.heurist-network/heurist-mesh-mcp-server.yaml",
    "servers/io.github.raoulbia-ai/mcp-server-for-intercom.yaml",
    "servers/io.github.rishabkoul/iterm-mcp-server.yaml",
    "servers/io.github.tesla0225/mcp-create.yaml",
    "servers/io.github.lciesielski/mcp-salesforce-example.yaml",
    "servers/io.github.mem0ai/mem0-mcp.yaml",
    "servers/io.github.kyrietangsheng/mcp-server-nationalparks.yaml",
    "servers/io.github.taidgh-robinson/nba-mcp-server.yaml",
    "servers/io.github.suekou/mcp-notion-server.yaml",
    "servers/io.github.v-3/notion-server.yaml",
    "servers/io.github.teddyzxcv/ntfy-mcp.yaml",
    "servers/io.github.spathodea-network/opencti-mcp.yaml",
    "servers/io.github.asusevski/opendota-mcp-server.yaml",
    "servers/io.github.kelvin6365/plane-mcp-server.yaml",
    "servers/io.github.sssjiang/pubchem_mcp_server.yaml",
    "servers/io.github.dogukanakkaya/pulumi-mcp-server.yaml",
    "servers/io.github.djannot/puppeteer-vision-mcp.yaml",
    "servers/io.github.isaacwasserman/mcp-snowflake-server.yaml",
    "servers/io.github.atharvagupta2003/mcp-stripe.yaml",
    "servers/io.github.geli2001/tft-mcp-server.yaml",
    "servers/io.github.suhail-ak-s/mcp-typesense-server.yaml",
    "servers/io.github.gongrzhe/travel-planner-mcp-server.yaml",
    "servers/io.github.isaacwasserman/mcp-vegalite-server.yaml",
    "servers/io.github.dinghuazhou/sample-mcp-server-tos.yaml",
    "servers/io.github.vidhupv/x-mcp.yaml",
    "servers/io.github.apeyroux/mcp-xmind.yaml",
    "servers/io.github.chuckbryan/ynabmcpserver.yaml",
    "servers/io.github.prathamesh0901/zoom-mcp-server.yaml",
    "servers/io.github.isdaniel/mcp_weather_server.yaml",
];
