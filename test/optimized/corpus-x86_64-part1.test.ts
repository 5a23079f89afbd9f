import { describeCorpusEquivalence } from './corpus-equivalence.js';

describeCorpusEquivalence('x86_64', 0, 2);
