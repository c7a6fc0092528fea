/** A fictional company the demo data's people work for; every domain is under `.example`. */
export interface DemoCompany {
  name: string;
  domain: string;
  /** As the demo form's select offers it. */
  size: '1-10' | '11-50' | '51-200' | '201-1000' | '1000+';
  /** ISO code, as a CRM would enrich it: most in the demo rules' service area (Europe), some outside. */
  country: string;
  industry: string;
}

/** Buyers' companies, from good fit (51–1,000 people, Europe) to poor (tiny, or outside Europe). */
export const DEMO_COMPANIES: readonly DemoCompany[] = [
  { name: 'Fernhill Foods', domain: 'fernhill.example', size: '201-1000', country: 'gb', industry: 'Food & beverage' },
  { name: 'Brightwater Logistics', domain: 'brightwater.example', size: '51-200', country: 'nl', industry: 'Logistics' },
  { name: 'Alder & Finch', domain: 'alderfinch.example', size: '51-200', country: 'gb', industry: 'Professional services' },
  { name: 'Costa Verde Hotéis', domain: 'costaverde.example', size: '201-1000', country: 'pt', industry: 'Hospitality' },
  { name: 'Kessler Maschinenbau', domain: 'kessler-mb.example', size: '201-1000', country: 'de', industry: 'Manufacturing' },
  { name: 'Lumen Retail Group', domain: 'lumenretail.example', size: '1000+', country: 'fr', industry: 'Retail' },
  { name: 'Oakridge Health', domain: 'oakridgehealth.example', size: '51-200', country: 'ie', industry: 'Healthcare' },
  { name: 'Polaris Software', domain: 'polaris-sw.example', size: '51-200', country: 'es', industry: 'Software' },
  { name: 'Ribeiro Construções', domain: 'ribeiro.example', size: '11-50', country: 'pt', industry: 'Construction' },
  { name: 'Tidewater Energy', domain: 'tidewater.example', size: '201-1000', country: 'be', industry: 'Energy' },
  { name: 'Vantaa Components', domain: 'vantaa.example', size: '51-200', country: 'at', industry: 'Manufacturing' },
  { name: 'Greyhound Media', domain: 'greyhoundmedia.example', size: '11-50', country: 'gb', industry: 'Media' },
  { name: 'Solace Pharma', domain: 'solacepharma.example', size: '1000+', country: 'ch', industry: 'Pharmaceuticals' },
  { name: 'Northgate Estates', domain: 'northgate.example', size: '51-200', country: 'gb', industry: 'Real estate' },
  { name: 'Marlowe Studio', domain: 'marlowe.example', size: '1-10', country: 'gb', industry: 'Design' },
  { name: 'Pinecrest Outdoor', domain: 'pinecrest.example', size: '51-200', country: 'us', industry: 'Retail' },
  { name: 'Harbor & Pike', domain: 'harborpike.example', size: '201-1000', country: 'us', industry: 'Financial services' },
  { name: 'Maple Leaf Freight', domain: 'mapleleaf.example', size: '51-200', country: 'ca', industry: 'Logistics' },
  { name: 'Kookaburra Labs', domain: 'kookaburra.example', size: '11-50', country: 'au', industry: 'Software' },
  { name: 'Giardino Alimentari', domain: 'giardino.example', size: '51-200', country: 'it', industry: 'Food & beverage' },
  { name: 'Sable Architects', domain: 'sable.example', size: '11-50', country: 'nl', industry: 'Professional services' },
  { name: 'Corvid Security', domain: 'corvid.example', size: '201-1000', country: 'de', industry: 'Security' },
  { name: 'Emberline Cafés', domain: 'emberline.example', size: '1-10', country: 'fr', industry: 'Hospitality' },
  { name: 'Quayside Capital', domain: 'quayside.example', size: '11-50', country: 'ie', industry: 'Financial services' },
];

/** Who would compete with Northwind Ledger: the demo rules' `competitor` fit rule (−50) names these domains. */
export const DEMO_COMPETITORS: readonly DemoCompany[] = [
  { name: 'Ledgerly', domain: 'ledgerly.example', size: '51-200', country: 'gb', industry: 'Software' },
  { name: 'CloseFlow', domain: 'closeflow.example', size: '11-50', country: 'de', industry: 'Software' },
];

export const FIRST_NAMES = ['Ana', 'Ben', 'Carla', 'Dev', 'Elif', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kai', 'Lena', 'Marco', 'Nadia', 'Oscar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wim', 'Yara', 'Zoe', 'Tomás', 'Mei', 'Luca', 'Amara', 'Niamh'] as const;
export const LAST_NAMES = ['Almeida', 'Brandt', 'Costa', 'Dubois', 'Evans', 'Fischer', 'García', 'Hughes', 'Ivanova', 'Jansen', 'Keane', 'Laurent', 'Moreau', 'Novak', "O'Brien", 'Peters', 'Rossi', 'Santos', 'Takahashi', 'Umeh', 'Visser', 'Walsh', 'Young', 'Zimmer'] as const;

/** Titles that the demo rules' `finance-role` fit rule matches (+20) … */
export const FINANCE_TITLES = ['CFO', 'Financial Controller', 'Head of Finance', 'Finance Manager', 'Group Controller', 'Senior Accountant', 'Finance Director', 'Treasurer'] as const;
/** … and titles it does not. */
export const OTHER_TITLES = ['Operations Manager', 'CEO', 'Founder', 'Office Manager', 'IT Director', 'Marketing Lead', 'Business Analyst'] as const;

/** The sales team giving feedback. */
export const SALES_REPS = ['sam@northwind.example', 'priya.s@northwind.example', 'jonas.k@northwind.example'] as const;
