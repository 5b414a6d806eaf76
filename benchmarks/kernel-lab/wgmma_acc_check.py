#!/usr/bin/env python3
"""Find what makes ptxas serialise a kernel's wgmma (C7514 / C7515): instructions that write or read a wgmma
accumulator register between a wgmma.fence / wgmma.mma_async and the next wgmma.wait_group, in a PTX file
(NVRTC_LAB_PTX=folder makes the lab keep it; nvrtc_check-style local PTX works too).

Usage: wgmma_acc_check.py FILE.ptx ENTRY
"""
import re, sys
ptx = open(sys.argv[1]).read()
entry = sys.argv[2]
body = ptx[ptx.index('.entry ' + entry):]
nxt = body.find('.entry ', 10)
body = body[:nxt if nxt > 0 else None]
lines = body.splitlines()
acc = set()
for l in lines:
    if 'wgmma.mma_async' in l:
        m = re.search(r'\{([^}]*)\}', l)
        acc.update(x.strip() for x in m.group(1).split(','))
state = 'idle'
for i, l in enumerate(lines):
    s = l.strip()
    if 'wgmma.fence' in s or 'wgmma.mma_async' in s: state = 'inflight'
    elif 'wait_group' in s: print(i, 'WAIT', s); state = 'idle'
    elif state == 'inflight' and not s.startswith('//'):
        m = re.match(r'(\S+)\s+(%f\d+)', s)
        if m and m.group(2) in acc: print(i, 'DEF-IN-FLIGHT', s)
        elif any(re.search(r'%s\b' % re.escape(a), s) for a in acc if a in s) and 'wgmma' not in s: print(i, 'USE-IN-FLIGHT', s[:100])
