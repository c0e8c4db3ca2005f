import { describe, expect, it } from 'vitest';
import {
  accountNote,
  groupByPlace,
  knownAccount,
  MAX_PLACES,
  type Place,
  type PlaceOf,
  placeLines,
  placeText,
  streamPlace,
} from '../../../lib/render/places.ts';
import { FS } from '../../helpers/fixtures.ts';

const ACCOUNT = '123456789012';
const OTHER_FS = 'fs-0fedcba9876543210';

/** Items that carry their place and sample as they are. */
type Item = { readonly place: Place; readonly sample: string | undefined };
const AS_IS: PlaceOf<Item> = {
  fileSystemId: (item) => item.place.fileSystemId,
  account: (item) => item.place.account,
  sample: (item) => item.sample,
};

describe('Function: placeText', () => {
  it('names the file system and the account, or says the file system is unknown', () => {
    // Act
    const texts = [
      placeText({ fileSystemId: FS, account: ACCOUNT }),
      placeText({ fileSystemId: FS, account: undefined }),
      placeText({ fileSystemId: undefined, account: ACCOUNT }),
      placeText({ fileSystemId: undefined, account: undefined }),
    ];

    // Assess
    expect(texts).toEqual([
      `${FS}, account ${ACCOUNT}`,
      FS,
      `unknown, account ${ACCOUNT}`,
      'unknown',
    ]);
  });

  it('sanitises ids and accounts taken from the input', () => {
    // Act
    const text = placeText({ fileSystemId: 'fs-1\u001b[2J', account: '1\r\n2' });

    // Assess
    expect(text).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('Function: accountNote', () => {
  it('adds the account after a line that names the file system, or nothing', () => {
    // Act
    const notes = [accountNote(ACCOUNT), accountNote(undefined)];

    // Assess
    expect(notes).toEqual([` (account ${ACCOUNT})`, '']);
  });
});

describe('Function: knownAccount / streamPlace', () => {
  it('takes no account from an owner the input did not name', () => {
    // Act
    const accounts = [ACCOUNT, 'unknown', '', '  ', undefined].map(knownAccount);

    // Assess
    expect(accounts).toEqual([ACCOUNT, undefined, undefined, undefined, undefined]);
  });

  it('reads the file system of a datarepo_ stream only', () => {
    // Act
    const places = [streamPlace(`datarepo_${FS}`, ACCOUNT), streamPlace('unknown', 'unknown')];

    // Assess
    expect(places).toEqual([
      { fileSystemId: FS, account: ACCOUNT },
      { fileSystemId: undefined, account: undefined },
    ]);
  });
});

describe('Function: groupByPlace', () => {
  it('groups by file system and account, most items first, with distinct samples', () => {
    // Prepare
    const here = { fileSystemId: FS, account: ACCOUNT };
    const there = { fileSystemId: OTHER_FS, account: ACCOUNT };
    const items = [
      { place: there, sample: 'ns1/x.bin' },
      { place: here, sample: 'ns1/a.bin' },
      { place: here, sample: 'ns1/a.bin' },
      { place: here, sample: undefined },
      { place: { fileSystemId: FS, account: undefined }, sample: 'ns1/b.bin' },
    ];

    // Act
    const groups = groupByPlace(items, AS_IS);

    // Assess
    expect(groups).toEqual([
      { fileSystemId: FS, account: ACCOUNT, count: 3, samples: ['ns1/a.bin'] },
      { fileSystemId: OTHER_FS, account: ACCOUNT, count: 1, samples: ['ns1/x.bin'] },
      { fileSystemId: FS, account: undefined, count: 1, samples: ['ns1/b.bin'] },
    ]);
  });

  it('keeps at most five samples per place, and looks no further once it has them', () => {
    // Prepare
    const place = { fileSystemId: FS, account: undefined };
    const items = Array.from({ length: 8 }, (_, index) => ({ place, sample: `ns1/${index}` }));
    const asked: string[] = [];
    const counting: PlaceOf<Item> = {
      ...AS_IS,
      sample: (item) => {
        asked.push(item.sample ?? '');
        return item.sample;
      },
    };

    // Act
    const [group] = groupByPlace(items, counting);

    // Assess
    expect(group?.count).toBe(8);
    expect(group?.samples).toEqual(['ns1/0', 'ns1/1', 'ns1/2', 'ns1/3', 'ns1/4']);
    expect(asked).toHaveLength(5);
  });
});

describe('Function: placeLines', () => {
  it('names each place with its count, its samples under it', () => {
    // Prepare
    const groups = [
      { fileSystemId: FS, account: ACCOUNT, count: 2, samples: ['ns1/a.bin'] },
      { fileSystemId: undefined, account: undefined, count: 1, samples: [] },
    ];

    // Act
    const lines = placeLines(groups, { indent: '  ', noun: 'record', sampleChars: 80 });

    // Assess
    expect(lines).toEqual([
      `  File system ${FS}, account ${ACCOUNT}: 2 records`,
      '    ns1/a.bin',
      '  File system unknown: 1 record',
    ]);
  });

  it('counts the places past the limit in one line', () => {
    // Prepare
    const groups = Array.from({ length: MAX_PLACES + 2 }, (_, index) => ({
      fileSystemId: `fs-${String(index).padStart(8, '0')}`,
      account: undefined,
      count: 3,
      samples: [],
    }));

    // Act
    const lines = placeLines(groups, { indent: '', noun: 'failure', sampleChars: 80 });

    // Assess
    expect(lines).toHaveLength(MAX_PLACES + 1);
    expect(lines.at(-1)).toBe('and 2 more file systems (6 failures)');
  });

  it('says the samples stop at the first few when more items may be unseen', () => {
    // Prepare: 6 failures, the first 5 distinct paths kept (the 6th may be one of them or not).
    const samples = ['a', 'b', 'c', 'd', 'e'].map((name) => `ns1/${name}.bin`);
    const full = { fileSystemId: undefined, account: undefined, count: 6, samples };
    // 2 records of one path: every distinct path is shown, nothing to add.
    const repeated = { fileSystemId: FS, account: undefined, count: 2, samples: ['ns1/a.bin'] };

    // Act
    const lines = placeLines([full, repeated], { indent: '', noun: 'failure', sampleChars: 80 });

    // Assess
    expect(lines).toEqual([
      'File system unknown: 6 failures',
      ...samples.map((sample) => `  ${sample}`),
      '  (the first 5 shown)',
      `File system ${FS}: 2 failures`,
      '  ns1/a.bin',
    ]);
  });
});
