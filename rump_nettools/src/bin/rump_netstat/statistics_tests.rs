//! Tests of the statistics tables: plurals, `-ss`, histograms, the
//! remainder, and a place in each format for every counter.

use super::*;

fn section(v: &[u64], zeros: bool) -> Section {
    Section {
        v: v.to_vec(),
        zeros,
    }
}

#[test]
fn lines_take_their_plurals_and_leave_zeros_out_under_ss() {
    const LINES: &[Line] = &[
        One(0, "\t{} packet{s} sent"),
        One(1, "\t{} packet{s} sent"),
        One(2, "\t{} PCB hash miss{es}"),
        One(1, "\t{} dropped due to no socket"),
        One(3, "\t{} left out{s}"),
        Two(0, 3, "\t\t{} data packet{s} ({} byte{s})"),
        Two(1, 3, "\t\t{} ack-only packet{s} ({} delayed)"),
        Two(3, 3, "\t\t{} left out{s} ({} byte{s})"),
        Title("\tHeading:"),
        One(9, "\t{} past the array{s}"),
    ];
    assert_eq!(
        section(&[1, 2, 2, 0], false).text("tcp", LINES),
        "tcp:\n\t1 packet sent\n\t2 packets sent\n\t2 PCB hash misses\n\
         \t2 dropped due to no socket\n\t\t1 data packet (0 bytes)\n\
         \t\t2 ack-only packets (0 delayed)\n\tHeading:\n"
    );
    let all = section(&[1, 2, 1, 0], true).text("tcp", LINES);
    assert!(all.contains("\t1 PCB hash miss\n\t2 dropped"), "{all}");
    assert!(all.contains("\t0 left outs\n"), "{all}");
    assert!(all.contains("\t\t0 left outs (0 bytes)\n"), "{all}");
    assert!(all.ends_with("\tHeading:\n\t0 past the arrays\n"), "{all}");
}

#[test]
fn histograms_remainders_and_ips_forwarded_line_print_as_netstats() {
    const LINES: &[Line] = &[
        Histogram {
            title: "\tOutput histogram:",
            base: 1,
            len: 3,
            entry: icmp_entry,
        },
        Histogram {
            title: "\tnever",
            base: 5,
            len: 2,
            entry: icmp_entry,
        },
        Remainder {
            total: 0,
            less: &[1, 3],
            format: "\t{} delivered",
        },
        Rule(ip_forwarded),
        Title("\tafter"),
    ];
    // Counters 1 and 3 are histogram entries 0 and 2; 9 and 10 are
    // ip's forwarded and fast-forwarded counts.
    let mut v = vec![7, 4, 0, 1, 0, 0, 0, 0, 0, 0, 3];
    assert_eq!(
        section(&v, false).text("icmp", LINES),
        "icmp:\n\tOutput histogram:\n\t\techoreply: 4\n\t\tunassigned_2: 1\n\
         \t2 delivered\n (3 packets fast forwarded)\tafter\n"
    );
    // More dropped than received: netstat's unsigned arithmetic.
    v[0] = 4;
    v[9] = 1;
    assert_eq!(
        section(&v, false).text("icmp", &LINES[2..]),
        format!(
            "icmp:\n\t{} delivered\n\t1 packet forwarded (3 packets fast forwarded)\n\tafter\n",
            u64::MAX
        )
    );
    assert_eq!(
        section(&[], true).text("ip", &LINES[1..]),
        "ip:\n\t0 delivered\n\t0 packets forwarded (0 packets fast forwarded)\n\tafter\n"
    );
}

/// Every table's formats have a `{}` for each of their counters and
/// histograms stay inside their names.
#[test]
fn every_line_has_a_place_for_each_counter() {
    for p in &PROTOS {
        for line in p.lines {
            let (format, counters) = match *line {
                One(_, f) => (f, 1),
                Two(_, _, f) => (f, 2),
                Remainder { format, .. } => (format, 1),
                Histogram { len, entry, .. } => {
                    assert!(!entry(len - 1, 1).is_empty());
                    continue;
                }
                Title(_) | Rule(_) => continue,
            };
            assert_eq!(
                format.matches("{}").count(),
                counters,
                "{}: {format}",
                p.name
            );
            let plurals = format.matches("{s}").count() + format.matches("{es}").count();
            assert!(plurals <= counters, "{}: {format}", p.name);
        }
    }
}
