import {
  attachedByUsAfter,
  planDomains,
  sanCovers,
  uncoveredDomains,
  type AttachedDomainView,
} from '../../../../src/controller/lifecycle/domains.ts';

describe('sanCovers (TLS host matching)', () => {
  it.each<[string, string, boolean]>([
    ['api.example.com', 'api.example.com', true],
    ['API.Example.com', 'api.example.com', true],
    ['api.example.com.', 'api.example.com', true],
    ['api.example.com', 'www.example.com', false],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'API.EXAMPLE.COM', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.example.com', true],
    ['api.example.com', '*.example.com', false],
    ['*.a.example.com', '*.example.com', false],
    ['f*.example.com', 'foo.example.com', false],
    ['*.example.com', 'xexample.com', false],
    ['10.0.0.1', 'api.example.com', false],
  ])('%s covers %s: %s', (san, host, covered) => {
    expect(sanCovers(san, host)).toBe(covered);
  });

  it('lists the declared domains no SAN covers, in spec order', () => {
    expect(
      uncoveredDomains(
        [{ name: 'b.example.org' }, { name: 'api.example.com' }, { name: 'a.example.org' }],
        ['*.example.com', 'www.example.org'],
      ),
    ).toEqual(['b.example.org', 'a.example.org']);
  });
});

function row(urlDomain: string, instanceId = 'inst-1', status = 3): AttachedDomainView {
  return { urlDomain, instanceId, apiGroupName: 'shop', status };
}

describe('planDomains', () => {
  it.each<{
    name: string;
    declared: {
      name: string;
      instanceIds?: string[];
      verifiedClientCertificateEnabled?: boolean;
    }[];
    attached: AttachedDomainView[];
    ours: string[];
    attach: unknown[];
    detach: unknown[];
  }>([
    {
      name: 'attaches a declared domain not attached',
      declared: [{ name: 'api.example.com' }],
      attached: [],
      ours: [],
      attach: [{ domain: 'api.example.com' }],
      detach: [],
    },
    {
      name: 'sends nothing when everything is in place',
      declared: [{ name: 'api.example.com' }],
      attached: [row('api.example.com')],
      ours: ['api.example.com'],
      attach: [],
      detach: [],
    },
    {
      name: 'attaches only the instances still missing',
      declared: [{ name: 'api.example.com', instanceIds: ['inst-1', 'inst-2'] }],
      attached: [row('api.example.com', 'inst-1')],
      ours: [],
      attach: [{ domain: 'api.example.com', instanceIds: ['inst-2'] }],
      detach: [],
    },
    {
      name: 'passes verifiedClientCertificateEnabled on',
      declared: [{ name: 'api.example.com', verifiedClientCertificateEnabled: true }],
      attached: [],
      ours: [],
      attach: [{ domain: 'api.example.com', verifiedClientCertificateEnabled: true }],
      detach: [],
    },
    {
      name: 'detaches what it attached and no longer declares',
      declared: [],
      attached: [row('old.example.com')],
      ours: ['old.example.com'],
      attach: [],
      detach: [{ domain: 'old.example.com' }],
    },
    {
      name: 'leaves a foreign attachment alone',
      declared: [{ name: 'api.example.com' }],
      attached: [row('api.example.com'), row('console.example.com')],
      ours: ['api.example.com'],
      attach: [],
      detach: [],
    },
    {
      name: 'does not detach what is already gone',
      declared: [],
      attached: [],
      ours: ['old.example.com'],
      attach: [],
      detach: [],
    },
    {
      name: 'matches names ignoring case',
      declared: [{ name: 'api.example.com' }],
      attached: [row('API.example.com')],
      ours: [],
      attach: [],
      detach: [],
    },
  ])('$name', ({ declared, attached, ours, attach, detach }) => {
    const plan = planDomains(declared, attached, ours);
    expect(plan.attach).toEqual(attach);
    expect(plan.detach).toEqual(detach);
  });

  it('reports every declared domain as APIG does', () => {
    const plan = planDomains(
      [{ name: 'api.example.com' }, { name: 'new.example.com' }],
      [row('api.example.com', 'inst-1', 2)],
      [],
    );
    expect(plan.status).toEqual([
      {
        name: 'api.example.com',
        bound: true,
        instanceId: 'inst-1',
        apiGroupName: 'shop',
        status: 'Resolving',
      },
      { name: 'new.example.com', bound: false },
    ]);
  });

  it('records what this resource attached after the calls', () => {
    expect(
      attachedByUsAfter(['b.example.com', 'old.example.com'], {
        attach: [{ domain: 'a.example.com' }, { domain: 'b.example.com' }],
        detach: [{ domain: 'old.example.com' }],
      }),
    ).toEqual(['a.example.com', 'b.example.com']);
  });
});
