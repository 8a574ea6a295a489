//! The breaking-change lint of the gRPC API: the protos of
//! `proto/quantumvibe/v1` compiled now (protox) against the committed
//! descriptor set `proto/quantumvibe/v1/descriptor.binpb`.
//!
//! Fails on a breaking change (a removed or renumbered field, a field's
//! type or label changed, a removed message, enum, enum value, service or
//! method, a method's input, output or streaming changed), and, for other
//! changes, when the committed set is not current. Regenerate it with
//! [`REGENERATE`]; it refuses to while a change breaks clients (delete the
//! file first to accept one deliberately, with a new package version).

use std::collections::BTreeMap;
use std::path::PathBuf;

use prost::Message;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorSet,
    ServiceDescriptorProto,
};

const REGENERATE: &str = "QV_UPDATE_DESCRIPTOR=1 cargo test -p qv-server --test proto_compat";

const FILES: [&str; 3] =
    ["quantumvibe/v1/jobs.proto", "quantumvibe/v1/backends.proto", "quantumvibe/v1/usage.proto"];

fn proto_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto")
}

fn committed_path() -> PathBuf {
    proto_root().join("quantumvibe/v1/descriptor.binpb")
}

/// The protos as they are now, without source info (comments do not make
/// the committed set stale).
fn current() -> FileDescriptorSet {
    protox::Compiler::new([proto_root()])
        .expect("proto root")
        .include_imports(true)
        .include_source_info(false)
        .open_files(FILES)
        .unwrap_or_else(|e| panic!("the protos do not compile: {e}"))
        .file_descriptor_set()
}

/// Messages (nested ones too), enums and services by fully qualified name.
#[derive(Default)]
struct Index<'a> {
    messages: BTreeMap<String, &'a DescriptorProto>,
    enums: BTreeMap<String, &'a EnumDescriptorProto>,
    services: BTreeMap<String, &'a ServiceDescriptorProto>,
}

fn index(fds: &FileDescriptorSet) -> Index<'_> {
    fn walk<'a>(ix: &mut Index<'a>, scope: &str, m: &'a DescriptorProto) {
        let name = format!("{scope}.{}", m.name());
        for e in &m.enum_type {
            ix.enums.insert(format!("{name}.{}", e.name()), e);
        }
        for n in &m.nested_type {
            walk(ix, &name, n);
        }
        ix.messages.insert(name, m);
    }
    let mut ix = Index::default();
    for f in &fds.file {
        let scope =
            if f.package().is_empty() { String::new() } else { format!(".{}", f.package()) };
        for m in &f.message_type {
            walk(&mut ix, &scope, m);
        }
        for e in &f.enum_type {
            ix.enums.insert(format!("{scope}.{}", e.name()), e);
        }
        for s in &f.service {
            ix.services.insert(format!("{scope}.{}", s.name()), s);
        }
    }
    ix
}

fn label(f: &FieldDescriptorProto) -> String {
    let optional = if f.proto3_optional() { " (proto3 optional)" } else { "" };
    format!("{:?}{optional}", f.label())
}

fn kind(f: &FieldDescriptorProto) -> String {
    match f.type_name() {
        "" => format!("{:?}", f.r#type()),
        name => format!("{:?} {name}", f.r#type()),
    }
}

/// Every change from `old` to `new` that breaks clients built on `old`.
fn breaking_changes(old: &FileDescriptorSet, new: &FileDescriptorSet) -> Vec<String> {
    let (old, new) = (index(old), index(new));
    let mut out = Vec::new();
    for (name, om) in &old.messages {
        let Some(nm) = new.messages.get(name) else {
            out.push(format!("message {name} removed"));
            continue;
        };
        for of in &om.field {
            let field = format!("{name}.{}", of.name());
            match nm.field.iter().find(|f| f.number() == of.number()) {
                None => match nm.field.iter().find(|f| f.name() == of.name()) {
                    Some(nf) => out.push(format!(
                        "field {field} renumbered from {} to {}",
                        of.number(),
                        nf.number()
                    )),
                    None => out.push(format!("field {field} = {} removed", of.number())),
                },
                Some(nf) => {
                    if nf.name() != of.name() {
                        out.push(format!(
                            "field {field} = {} renamed to {} (breaks JSON and generated code)",
                            of.number(),
                            nf.name()
                        ));
                    }
                    if kind(nf) != kind(of) {
                        out.push(format!(
                            "field {field} changed type from {} to {}",
                            kind(of),
                            kind(nf)
                        ));
                    }
                    if label(nf) != label(of)
                        || nf.oneof_index.is_some() != of.oneof_index.is_some()
                    {
                        out.push(format!(
                            "field {field} changed label from {} to {}",
                            label(of),
                            label(nf)
                        ));
                    }
                }
            }
        }
    }
    for (name, oe) in &old.enums {
        let Some(ne) = new.enums.get(name) else {
            out.push(format!("enum {name} removed"));
            continue;
        };
        for ov in &oe.value {
            match ne.value.iter().find(|v| v.number() == ov.number()) {
                Some(nv) if nv.name() == ov.name() => {}
                Some(nv) => out.push(format!(
                    "enum value {name}.{} = {} renamed to {}",
                    ov.name(),
                    ov.number(),
                    nv.name()
                )),
                None => {
                    out.push(format!("enum value {name}.{} = {} removed", ov.name(), ov.number()))
                }
            }
        }
    }
    for (name, os) in &old.services {
        let Some(ns) = new.services.get(name) else {
            out.push(format!("service {name} removed"));
            continue;
        };
        for om in &os.method {
            let method = format!("{name}.{}", om.name());
            let Some(nm) = ns.method.iter().find(|m| m.name() == om.name()) else {
                out.push(format!("method {method} removed"));
                continue;
            };
            if nm.input_type() != om.input_type() {
                out.push(format!(
                    "method {method} input changed from {} to {}",
                    om.input_type(),
                    nm.input_type()
                ));
            }
            if nm.output_type() != om.output_type() {
                out.push(format!(
                    "method {method} output changed from {} to {}",
                    om.output_type(),
                    nm.output_type()
                ));
            }
            if (nm.client_streaming(), nm.server_streaming())
                != (om.client_streaming(), om.server_streaming())
            {
                out.push(format!("method {method} changed streaming"));
            }
        }
    }
    out
}

#[test]
fn protos_are_compatible_with_the_committed_descriptor_set() {
    let now = current();
    let bytes = now.encode_to_vec();
    let path = committed_path();
    let update = std::env::var_os("QV_UPDATE_DESCRIPTOR").is_some();
    let committed = match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) if update => {
            std::fs::write(&path, &bytes).expect("write the descriptor set");
            return;
        }
        Err(e) => panic!("{}: {e}; generate it with `{REGENERATE}`", path.display()),
    };
    let old = FileDescriptorSet::decode(committed.as_slice()).expect("a descriptor set");
    let breaking = breaking_changes(&old, &now);
    assert!(
        breaking.is_empty(),
        "breaking changes to the gRPC API against {}:\n  {}\n(keep field numbers and types; add \
         fields, messages and methods instead)",
        path.display(),
        breaking.join("\n  ")
    );
    if committed != bytes {
        if update {
            std::fs::write(&path, &bytes).expect("write the descriptor set");
        } else {
            panic!(
                "{} is not current with the protos (a compatible change): regenerate it with \
                 `{REGENERATE}` and commit it",
                path.display()
            );
        }
    }
}

/// The lint catches each kind of breaking change, and lets additions through.
#[test]
fn the_lint_finds_each_breaking_change() {
    let base = current();
    let mutate = |f: &dyn Fn(&mut FileDescriptorSet)| {
        let mut new = base.clone();
        f(&mut new);
        breaking_changes(&base, &new)
    };
    fn file(fds: &FileDescriptorSet, name: &str) -> usize {
        fds.file.iter().position(|f| f.name() == name).expect(name)
    }
    fn jobs(fds: &FileDescriptorSet) -> usize {
        file(fds, "quantumvibe/v1/jobs.proto")
    }
    fn message<'a>(
        fds: &'a mut FileDescriptorSet,
        i: usize,
        name: &str,
    ) -> &'a mut DescriptorProto {
        fds.file[i].message_type.iter_mut().find(|m| m.name() == name).expect(name)
    }
    type Change = Box<dyn Fn(&mut FileDescriptorSet)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "field .quantumvibe.v1.Job.name = 3 removed",
            Box::new(|f| {
                let i = jobs(f);
                message(f, i, "Job").field.retain(|x| x.name() != "name");
            }),
        ),
        (
            "renumbered from 3 to 30",
            Box::new(|f| {
                let i = jobs(f);
                let m = message(f, i, "Job");
                m.field.iter_mut().find(|x| x.name() == "name").unwrap().number = Some(30);
            }),
        ),
        (
            "field .quantumvibe.v1.Job.shots changed type",
            Box::new(|f| {
                let i = jobs(f);
                let m = message(f, i, "Job");
                m.field
                    .iter_mut()
                    .find(|x| x.name() == "shots")
                    .unwrap()
                    .set_type(prost_types::field_descriptor_proto::Type::String);
            }),
        ),
        (
            "field .quantumvibe.v1.Job.id changed label",
            Box::new(|f| {
                let i = jobs(f);
                let m = message(f, i, "Job");
                m.field
                    .iter_mut()
                    .find(|x| x.name() == "id")
                    .unwrap()
                    .set_label(prost_types::field_descriptor_proto::Label::Repeated);
            }),
        ),
        (
            "message .quantumvibe.v1.Complex removed",
            Box::new(|f| {
                let i = jobs(f);
                f.file[i].message_type.retain(|m| m.name() != "Complex");
            }),
        ),
        (
            "enum value .quantumvibe.v1.JobStatus.JOB_STATUS_CANCELLED = 6 removed",
            Box::new(|f| {
                let i = jobs(f);
                f.file[i].enum_type[0].value.retain(|v| v.number() != 6);
            }),
        ),
        (
            "method .quantumvibe.v1.JobService.CancelJob removed",
            Box::new(|f| {
                let i = jobs(f);
                f.file[i].service[0].method.retain(|m| m.name() != "CancelJob");
            }),
        ),
        (
            "method .quantumvibe.v1.JobService.GetJob output changed",
            Box::new(|f| {
                let i = jobs(f);
                let m =
                    f.file[i].service[0].method.iter_mut().find(|m| m.name() == "GetJob").unwrap();
                m.output_type = Some(".quantumvibe.v1.JobResult".into());
            }),
        ),
        (
            "method .quantumvibe.v1.JobService.WatchJob changed streaming",
            Box::new(|f| {
                let i = jobs(f);
                let m = f.file[i].service[0]
                    .method
                    .iter_mut()
                    .find(|m| m.name() == "WatchJob")
                    .unwrap();
                m.server_streaming = Some(false);
            }),
        ),
        (
            "service .quantumvibe.v1.BackendService removed",
            Box::new(|f| {
                let i = file(f, "quantumvibe/v1/backends.proto");
                f.file[i].service.clear();
            }),
        ),
    ];
    for (want, change) in &cases {
        let found = mutate(change.as_ref());
        assert!(found.iter().any(|c| c.contains(want)), "`{want}` not reported: {found:?}");
    }
    // An added field is compatible, but makes a committed set stale.
    let mut added = base.clone();
    let i = jobs(&added);
    let mut extra = message(&mut added, i, "Job").field[0].clone();
    extra.name = Some("added".into());
    extra.number = Some(99);
    message(&mut added, i, "Job").field.push(extra);
    assert_eq!(breaking_changes(&base, &added), Vec::<String>::new());
    assert_ne!(base.encode_to_vec(), added.encode_to_vec());
}
