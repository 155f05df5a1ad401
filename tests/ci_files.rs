//! The CI definitions are valid YAML of the right shape, and the campaign script runs.

use std::process::Command;

fn yaml(path: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_workflow_is_valid_yaml_with_smoke_and_sharded_nightly_jobs() {
    let w = yaml("ci/github/dtx.yml");
    let jobs = &w["jobs"];
    assert!(jobs["smoke"]["steps"].as_sequence().is_some());
    let shards = jobs["nightly"]["strategy"]["matrix"]["shard"]
        .as_sequence()
        .unwrap();
    assert!(shards.len() > 1);
    let text = std::fs::read_to_string("ci/github/dtx.yml").unwrap();
    assert!(text.contains("ci/campaign.sh") && text.contains("upload-artifact"));
}

#[test]
fn the_manifest_is_an_indexed_job_running_its_shard() {
    let j = yaml("ci/k8s/campaign-job.yaml");
    assert_eq!(j["kind"].as_str(), Some("Job"));
    assert_eq!(j["spec"]["completionMode"].as_str(), Some("Indexed"));
    let args =
        serde_yaml::to_string(&j["spec"]["template"]["spec"]["containers"][0]["args"]).unwrap();
    assert!(
        args.contains("JOB_COMPLETION_INDEX") && args.contains("--shard"),
        "{args}"
    );
}

#[test]
fn the_campaign_script_rejects_bad_arguments() {
    let out = Command::new("bash")
        .args(["ci/campaign.sh", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--frobnicate'"));
}
