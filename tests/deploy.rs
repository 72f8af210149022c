//! The Slurm and Kubernetes recipes in deploy/ run the commands this build
//! has: each script is run here (with the binary under test and a small
//! archive) as its scheduler would run it, and the Kubernetes manifests'
//! container arguments are run as given, their shard count checked against
//! `completions`.

mod common;

use assert_cmd::cargo::CommandCargoExt as _;
use common::tempdir;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel)
}

fn binary() -> PathBuf {
    PathBuf::from(Command::cargo_bin("skintrack").unwrap().get_program())
}

/// A one-case archive.
fn archive(root: &Path) -> PathBuf {
    let a = root.join("archive");
    let opts = skintrack::phantom::PhantomOptions {
        seed: 4,
        sessions: 2,
        width: 400,
        height: 300,
        ..Default::default()
    };
    skintrack::phantom::generate(&a.join("client"), &opts).unwrap();
    a
}

#[test]
fn scripts_are_valid_bash() {
    for f in [
        "slurm/submit.sh",
        "slurm/batch.sbatch",
        "slurm/index.sbatch",
        "kubernetes/run.sh",
    ] {
        let ok = Command::new("bash")
            .arg("-n")
            .arg(deploy(f))
            .status()
            .unwrap()
            .success();
        assert!(ok, "{f}");
    }
}

#[test]
fn slurm_array_tasks_cover_the_archive_and_the_index_follows() {
    let root = tempdir();
    let archive = archive(root.path());
    let out = root.path().join("out");
    // two array tasks, as Slurm would start them
    for task in 0..2 {
        let o = Command::new("bash")
            .arg(deploy("slurm/batch.sbatch"))
            .env("SKINTRACK", binary())
            .env("ARCHIVE", &archive)
            .env("OUT", &out)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "2")
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    }
    let o = Command::new("bash")
        .arg(deploy("slurm/index.sbatch"))
        .env("SKINTRACK", binary())
        .env("OUT", &out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert!(out.join("client/report.html").is_file());
    assert!(out.join("index.html").is_file());
    assert!(out.join("outcomes.csv").is_file());
    // the index waits for every task, whatever their exit codes
    let submit = std::fs::read_to_string(deploy("slurm/submit.sh")).unwrap();
    assert!(submit.contains("--dependency=\"afterany:"));
}

/// The container's argument list of a manifest (`args:` as a YAML list,
/// one item per line or inline).
fn container_args(manifest: &str) -> Vec<String> {
    let mut lines = manifest
        .lines()
        .skip_while(|l| !l.trim().starts_with("args:"));
    let first = lines.next().unwrap().trim();
    let unquote = |s: &str| s.trim().trim_matches('"').to_string();
    if let Some(inline) = first.strip_prefix("args: [") {
        return inline
            .trim_end_matches(']')
            .split(',')
            .map(unquote)
            .collect();
    }
    lines
        .map(str::trim)
        .take_while(|l| l.starts_with("- "))
        .map(|l| unquote(&l[2..]))
        .collect()
}

fn field(manifest: &str, key: &str) -> String {
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("{key} missing"))
        .trim()
        .to_string()
}

#[test]
fn kubernetes_jobs_run_this_command_line_with_consistent_shards() {
    let batch = std::fs::read_to_string(deploy("kubernetes/batch-job.yaml")).unwrap();
    assert_eq!(field(&batch, "completionMode"), "Indexed");
    let n: usize = field(&batch, "completions").parse().unwrap();
    assert_eq!(field(&batch, "parallelism").parse::<usize>().unwrap(), n);
    let args = container_args(&batch);
    let shard = args.iter().position(|a| a == "--shard").unwrap();
    assert_eq!(args[shard + 1], format!("$(JOB_COMPLETION_INDEX)/{n}"));

    // every index, with the volume's paths mapped to a temporary folder
    let root = tempdir();
    let archive = archive(root.path());
    let out = root.path().join("out");
    let map = |a: &str, index: usize| {
        a.replace("/data/archive", archive.to_str().unwrap())
            .replace("/data/out", out.to_str().unwrap())
            .replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
    };
    for index in 0..n {
        let o = Command::new(binary())
            .args(args.iter().map(|a| map(a, index)))
            .output()
            .unwrap();
        assert!(o.status.success(), "index {index}: {o:?}");
    }
    let index_job = std::fs::read_to_string(deploy("kubernetes/index-job.yaml")).unwrap();
    let o = Command::new(binary())
        .args(container_args(&index_job).iter().map(|a| map(a, 0)))
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert!(out.join("client/report.html").is_file());
    assert!(out.join("index.html").is_file());
}
