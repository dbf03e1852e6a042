#!/usr/bin/python3
"""The README as a user reads it: every `autoscale` subcommand it names exists, every relative
link resolves, and the "Bring your own data" walkthrough runs as written (its Python block, then
its shell block, in a scratch directory).
usage: test_readme.py AUTOSCALE_BINARY"""
import csv
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "autoscale")
README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def section(title):
    start = README.index("## " + title + "\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end >= 0 else len(README)]


def blocks(text, lang=None):
    """The fenced code blocks of `text` in language `lang` (None: every block), fences paired in order."""
    out, current, kind = [], None, None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, kind = [], line[3:].strip()
            else:
                if lang is None or kind == lang:
                    out.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return out


def output_paths():
    """The files and folders the README's Outputs table promises, as globs relative to a run
    directory of one job (`run`): `a/{b,c}` expands, `<...>` and `K`/`J`/`I` are wildcards, and
    the per-fold and per-iteration forms are left out (the walkthrough runs neither folds nor v2)."""
    table = README[README.index("### Outputs"):]
    table = table[:table.index("\n\n", table.index("| path |"))]
    paths, job = [], ""
    for cell in re.findall(r"^\| ([^|]+) \|", table, re.M)[1:]:
        for name in re.findall(r"`([^`]+)`", cell):
            if name.startswith("jobs/"):
                job = "jobs/*/"
                continue
            name = re.sub(r"<[^>]+>", "*", name)
            name = re.sub(r"-[KJI]-[KJI]|-[KJI](?=\.)", lambda m: "-*" * m.group(0).count("-"), name)
            name = name.replace("iter<t>", "iter*")
            prefix = job if name.startswith("  ") else ""
            name = name.strip()
            if "fold" in name or name.startswith("f<k>"):
                continue
            m = re.match(r"(.*)\{([^}]+)\}(.*)", name)
            for part in ([m.group(1) + x + m.group(3) for x in m.group(2).split(",")] if m else [name]):
                paths.append(prefix + part)
    return paths


class Readme(unittest.TestCase):
    def test_the_outputs_table_is_parsed(self):
        paths = output_paths()
        self.assertIn("config.yaml", paths)
        self.assertIn("jobs/*/final/train/", paths)
        self.assertIn("clusters/cluster-*-*.svg", paths)
        self.assertIn("jobs/*/final/val_scores.csv", paths)

    def test_every_named_subcommand_exists(self):
        help_text = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True).stdout
        known = set(re.findall(r"^  (\w+) ", help_text.split("Subcommands:")[1], re.M))
        self.assertIn("run", known)
        # Prose such as "autoscale reads" is not a command: only code blocks and code spans count.
        prose = README
        for block in blocks(README):
            prose = prose.replace(block, "")
        code = "\n".join(blocks(README)) + "\n" + "\n".join(re.findall(r"`([^`\n]+)`", prose))
        named = set(re.findall(r"\bautoscale (\w[\w-]*)", code))
        self.assertTrue(named, "no commands found")
        self.assertEqual(sorted(named - known), [], "README names subcommands that do not exist")

    def test_every_relative_link_resolves(self):
        links = re.findall(r"\]\(([^)#\s]+)[^)]*\)", README)
        local = [l for l in links if not re.match(r"\w+://|mailto:", l)]
        self.assertTrue(local)
        missing = [l for l in local if not os.path.exists(os.path.join(ROOT, l))]
        self.assertEqual(missing, [])

    def test_bring_your_own_data_runs_as_written(self):
        text = section("Bring your own data")
        [python], [shell] = blocks(text, "python"), blocks(text, "sh")
        work = tempfile.mkdtemp()
        try:
            with open(os.path.join(work, "my_import.py"), "w") as f:
                f.write(python)
            os.symlink(os.path.join(ROOT, "configs"), os.path.join(work, "configs"))
            os.symlink(os.path.join(ROOT, "scripts"), os.path.join(work, "scripts"))
            os.makedirs(os.path.join(work, "build"))
            os.symlink(BIN, os.path.join(work, "build", "autoscale"))
            script = shell.replace("python3 ", sys.executable + " ")
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, capture_output=True, text=True,
                                  timeout=900)
            self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
            self.assertIn("scenes      234", done.stdout)
            self.assertIn("all scenes and maps valid", done.stdout)
            rows = list(csv.DictReader(open(os.path.join(work, "human.csv"))))
            average = [r for r in rows if r["token"] == "average"][0]
            for metric in ("no_at_fault_collisions", "drivable_area_compliance", "driving_direction_compliance"):
                self.assertEqual(float(average[metric]), 1.0, metric)
            run = os.path.join(work, "runs", "mine")
            for f in ("result.json", "final/test_scores.csv", "final/train/metrics.csv", "final/train/planner.pt",
                      "final/pictures/worst-1.svg", "final/pictures/selected-1-1.svg", "iter0/iteration.json"):
                self.assertTrue(os.path.exists(os.path.join(run, "jobs", "autoscale_n400_s0", f)), f)
            self.assertTrue(os.path.exists(os.path.join(run, "report.html")))
            missing = [p for p in output_paths() if not glob.glob(os.path.join(run, p))]
            self.assertEqual(missing, [], "the Outputs table names files the run did not write")
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    unittest.main()
