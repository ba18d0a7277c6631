/**
 * The word lists of the "word" concept group, chosen for children's stories
 * (TinyStories) and plain English. Entries are lower-case single words; a
 * word in running text matches after lower-casing (see word-concepts.ts).
 * A word may sit in several lists ("her" is an object and a possessive).
 */
export interface WordList {
  /** Concept name without the group prefix: "colour" → "word:colour". */
  readonly name: string;
  readonly words: readonly string[];
  /** Also match regular plurals ("dogs", "bunnies", "wolves") of the listed nouns. */
  readonly plurals?: boolean;
  /** Only match capitalised words ("Spot" the dog, not "a spot"). */
  readonly capitalised?: boolean;
  /** Also match any word ending in one of these ("didn't"). */
  readonly suffixes?: readonly string[];
}

/** Words separated by white space, so the lists read as plain text. */
function list(words: string): readonly string[] {
  return words.trim().split(/\s+/);
}

export const wordLists: readonly WordList[] = [
  {
    name: "name",
    capitalised: true,
    // TinyStories favourites first, then common English first names and pet names.
    // Names that are also common words in lower case ("Will", "May", "Rose", "Sunny") are left out.
    words: list(`
      lily tom timmy sue max ben mia anna sam lucy jack sara sarah tim amy bob jane kitty spot billy
      bobby sally molly tommy jimmy johnny joe jill emma ella ellie zoe lisa mary john jenny daisy
      rosie rex buddy fluffy whiskers mittens benny lila mike jake leo luna bella lola polly peter
      paul fred freddy ted teddy sammy susie suzy annie katie kate sophie sophia olivia emily chloe
      ruby ivy hannah jessica laura alice nina nora rita tina dan danny david adam alex andy ann beth
      betty bill carl charlie chris dave eddie ethan finn frank george harry henry james jason jeff
      jerry jim joey josh kevin kim larry liam louis luke matt nick noah oliver oscar owen pete ricky
      roger ron roy ryan sid steve toby tony willy zack abby ava becky bonnie clara cindy dora eva
      fiona gina hazel heidi holly julie kelly lena linda maggie maria megan millie nancy penny rachel
      sandy stella wendy mimi coco bingo rover
    `),
  },
  { name: "pronoun-subject", words: list("i you he she it we they") },
  { name: "pronoun-object", words: list("me you him her it us them") },
  {
    name: "pronoun-possessive",
    words: list("my your his her its our their mine yours hers ours theirs"),
  },
  {
    name: "pronoun-reflexive",
    words: list("myself yourself himself herself itself ourselves yourselves themselves"),
  },
  {
    name: "colour",
    words: list(`
      red orange yellow green blue purple pink brown black white gray grey gold golden silver violet
      indigo turquoise beige crimson scarlet navy teal lavender rainbow colorful colourful color
      colour colors colours
    `),
  },
  {
    name: "number",
    words: list(`
      one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
      seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
      thousand million first second third fourth fifth sixth seventh eighth ninth tenth dozen half
      twice zero
    `),
  },
  {
    name: "emotion",
    words: list(`
      happy sad angry mad scared afraid frightened excited glad upset worried nervous proud surprised
      shocked lonely jealous grumpy cheerful joyful calm sorry shy bored curious embarrassed ashamed
      guilty grateful thankful hopeful annoyed frustrated disappointed miserable gloomy delighted
      thrilled amazed confused anxious terrified furious relieved love loved loves hate hated fear joy
      anger sadness happiness happily sadly angrily excitement happier happiest sadder scary worry
      proudly sorrow
    `),
  },
  {
    name: "animal",
    plurals: true,
    words: list(`
      dog cat bird fish bear rabbit bunny puppy kitten pup cow pig horse sheep lamb goat duck duckling
      chicken hen rooster chick frog mouse mice rat snake lion tiger elephant monkey giraffe zebra fox
      wolf deer owl bee butterfly ant spider bug worm turtle squirrel dolphin whale shark penguin
      ladybug caterpillar dinosaur dragon unicorn bat crab octopus parrot pony donkey kangaroo koala
      panda hippo crocodile alligator snail animal pet puppies kitty swan seal goose
    `),
  },
  {
    name: "family",
    plurals: true,
    words: list(`
      mom mommy mum mummy mama mother dad daddy papa father parent sister brother sibling grandma
      grandpa grandmother grandfather granny nana aunt auntie uncle cousin baby son daughter family
      wife husband
    `),
  },
  {
    name: "body",
    plurals: true,
    words: list(`
      head face eye ear nose mouth lip tooth teeth tongue hair neck shoulder arm elbow hand finger
      thumb leg knee foot feet toe tummy belly stomach chest heart skin cheek chin forehead wing tail
      paw fur beak bone brain body wrist ankle
    `),
  },
  {
    name: "food",
    plurals: true,
    words: list(`
      apple banana grape strawberry berry cherry pear peach lemon watermelon carrot potato tomato corn
      pea bean salad bread toast sandwich pizza pasta soup rice egg cheese butter milk juice tea cake
      cookie candy chocolate pie cupcake muffin pancake cream honey jam sugar cereal meat snack lunch
      dinner breakfast food treat popcorn lollipop sweet fruit vegetable nut picnic sausage noodle
    `),
  },
  {
    name: "time",
    plurals: true,
    words: list(`
      day night morning afternoon evening noon midnight today tomorrow yesterday tonight week weekend
      month year hour minute moment time dawn sunset sunrise spring summer autumn winter monday
      tuesday wednesday thursday friday saturday sunday birthday now later soon bedtime
    `),
  },
  {
    name: "place",
    plurals: true,
    words: list(`
      park house home school garden forest wood beach sea ocean river lake pond hill mountain farm zoo
      town city village store shop market street road room kitchen bedroom bathroom yard backyard
      playground castle library hospital church jungle field meadow cave island world barn office
      restaurant museum pool bridge palace tower nest
    `),
  },
  {
    name: "weather",
    words: list(`
      sun sunny rain rainy raining cloud clouds cloudy snow snowy snowing wind windy storm stormy
      thunder lightning fog foggy weather hot cold warm cool wet ice icy breeze puddle puddles hail
      frost sunshine rainbow sky
    `),
  },
  {
    name: "size-shape",
    words: list(`
      big small little tiny huge giant large tall short long wide narrow thick thin round square flat
      fat heavy deep high low circle triangle shape size bigger biggest smaller smallest taller
      tallest longer longest larger largest enormous shapes
    `),
  },
  {
    name: "greeting",
    words: list(`
      hello hi hey bye goodbye goodnight please thank thanks sorry welcome excuse pardon greet greeted
      greeting greetings polite politely kindly manners apologize apologized apologise apologised
      howdy farewell
    `),
  },
  {
    name: "negation",
    suffixes: ["n't", "n’t"],
    words: list(`
      not no never nothing nobody none nowhere neither nor cannot without hardly barely nope nah noone
    `),
  },
];
