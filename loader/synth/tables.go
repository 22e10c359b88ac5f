package synth

// Embedded tables. Municipality numbers and names are the real 2024
// numbering; postal codes are real codes in those municipalities; names and
// street names are common Norwegian ones. Code lists carry only codes found in
// ../shared/testdata/external/kodeverk or in public code examples; where a
// Volven list is not available the gap is marked at the table.

type postPlace struct{ code, place string }

// region numbers follow the four regional health authorities.
const (
	regionSorOst = iota
	regionVest
	regionMidt
	regionNord
)

type municipality struct {
	code   string
	name   string // upper case, as Brreg and AR write it
	pop    int    // inhabitants in thousands (2024, rounded): the weight
	region int
	posts  []postPlace
}

var municipalities = []municipality{
	{"0301", "OSLO", 717, regionSorOst, []postPlace{{"0150", "OSLO"}, {"0250", "OSLO"}, {"0354", "OSLO"}, {"0456", "OSLO"}, {"0560", "OSLO"}, {"0661", "OSLO"}, {"0763", "OSLO"}, {"0870", "OSLO"}, {"0976", "OSLO"}, {"1054", "OSLO"}, {"1151", "OSLO"}, {"1283", "OSLO"}}},
	{"4601", "BERGEN", 291, regionVest, []postPlace{{"5003", "BERGEN"}, {"5006", "BERGEN"}, {"5011", "BERGEN"}, {"5031", "BERGEN"}, {"5052", "BERGEN"}, {"5089", "BERGEN"}, {"5116", "ULSET"}, {"5221", "NESTTUN"}, {"5258", "BLOMSTERDALEN"}}},
	{"5001", "TRONDHEIM", 214, regionMidt, []postPlace{{"7010", "TRONDHEIM"}, {"7030", "TRONDHEIM"}, {"7041", "TRONDHEIM"}, {"7048", "TRONDHEIM"}, {"7067", "TRONDHEIM"}, {"7089", "HEIMDAL"}}},
	{"1103", "STAVANGER", 148, regionVest, []postPlace{{"4005", "STAVANGER"}, {"4010", "STAVANGER"}, {"4014", "STAVANGER"}, {"4021", "STAVANGER"}, {"4032", "STAVANGER"}, {"4046", "HAFRSFJORD"}, {"4077", "HUNDVÅG"}}},
	{"3201", "BÆRUM", 131, regionSorOst, []postPlace{{"1337", "SANDVIKA"}, {"1352", "KOLSÅS"}, {"1363", "HØVIK"}}},
	{"4204", "KRISTIANSAND", 116, regionSorOst, []postPlace{{"4608", "KRISTIANSAND S"}, {"4614", "KRISTIANSAND S"}, {"4631", "KRISTIANSAND S"}}},
	{"3301", "DRAMMEN", 103, regionSorOst, []postPlace{{"3015", "DRAMMEN"}, {"3040", "DRAMMEN"}}},
	{"3203", "ASKER", 98, regionSorOst, []postPlace{{"1383", "ASKER"}, {"1384", "ASKER"}}},
	{"3205", "LILLESTRØM", 92, regionSorOst, []postPlace{{"2000", "LILLESTRØM"}, {"2007", "KJELLER"}, {"2010", "STRØMMEN"}}},
	{"3107", "FREDRIKSTAD", 84, regionSorOst, []postPlace{{"1601", "FREDRIKSTAD"}, {"1606", "FREDRIKSTAD"}, {"1671", "KRÅKERØY"}}},
	{"1108", "SANDNES", 83, regionVest, []postPlace{{"4306", "SANDNES"}, {"4310", "HOMMERSÅK"}, {"4318", "SANDNES"}}},
	{"5501", "TROMSØ", 78, regionNord, []postPlace{{"9008", "TROMSØ"}, {"9019", "TROMSØ"}, {"9020", "TROMSDALEN"}}},
	{"3907", "SANDEFJORD", 65, regionSorOst, []postPlace{{"3210", "SANDEFJORD"}, {"3230", "SANDEFJORD"}}},
	{"3207", "NORDRE FOLLO", 62, regionSorOst, []postPlace{{"1400", "SKI"}, {"1410", "KOLBOTN"}}},
	{"1508", "ÅLESUND", 58, regionMidt, []postPlace{{"6002", "ÅLESUND"}, {"6015", "ÅLESUND"}}},
	{"3105", "SARPSBORG", 58, regionSorOst, []postPlace{{"1706", "SARPSBORG"}, {"1721", "SARPSBORG"}}},
	{"3905", "TØNSBERG", 58, regionSorOst, []postPlace{{"3110", "TØNSBERG"}, {"3125", "TØNSBERG"}}},
	{"4003", "SKIEN", 56, regionSorOst, []postPlace{{"3715", "SKIEN"}, {"3724", "SKIEN"}}},
	{"1804", "BODØ", 53, regionNord, []postPlace{{"8006", "BODØ"}, {"8012", "BODØ"}, {"8028", "BODØ"}}},
	{"3103", "MOSS", 50, regionSorOst, []postPlace{{"1530", "MOSS"}, {"1534", "MOSS"}}},
	{"3222", "LØRENSKOG", 48, regionSorOst, []postPlace{{"1470", "LØRENSKOG"}, {"1473", "LØRENSKOG"}}},
	{"3909", "LARVIK", 48, regionSorOst, []postPlace{{"3256", "LARVIK"}, {"3270", "LARVIK"}}},
	{"4203", "ARENDAL", 46, regionSorOst, []postPlace{{"4836", "ARENDAL"}, {"4838", "ARENDAL"}}},
	{"1149", "KARMØY", 43, regionVest, []postPlace{{"4250", "KOPERVIK"}, {"4262", "AVALDSNES"}}},
	{"3209", "ULLENSAKER", 42, regionSorOst, []postPlace{{"2050", "JESSHEIM"}, {"2060", "GARDERMOEN"}}},
	{"4626", "ØYGARDEN", 39, regionVest, []postPlace{{"5353", "STRAUME"}}},
	{"1106", "HAUGESUND", 38, regionVest, []postPlace{{"5501", "HAUGESUND"}, {"5527", "HAUGESUND"}}},
	{"4001", "PORSGRUNN", 37, regionSorOst, []postPlace{{"3910", "PORSGRUNN"}, {"3915", "PORSGRUNN"}}},
	{"3411", "RINGSAKER", 35, regionSorOst, []postPlace{{"2380", "BRUMUNDDAL"}, {"2390", "MOELV"}}},
	{"3403", "HAMAR", 32, regionSorOst, []postPlace{{"2317", "HAMAR"}, {"2318", "HAMAR"}}},
	{"1506", "MOLDE", 32, regionMidt, []postPlace{{"6413", "MOLDE"}, {"6415", "MOLDE"}}},
	{"3101", "HALDEN", 31, regionSorOst, []postPlace{{"1767", "HALDEN"}}},
	{"3407", "GJØVIK", 31, regionSorOst, []postPlace{{"2815", "GJØVIK"}, {"2821", "GJØVIK"}}},
	{"3305", "RINGERIKE", 31, regionSorOst, []postPlace{{"3511", "HØNEFOSS"}}},
	{"4627", "ASKØY", 30, regionVest, []postPlace{{"5300", "KLEPPESTØ"}}},
	{"3405", "LILLEHAMMER", 29, regionSorOst, []postPlace{{"2609", "LILLEHAMMER"}, {"2615", "LILLEHAMMER"}}},
	{"3303", "KONGSBERG", 28, regionSorOst, []postPlace{{"3611", "KONGSBERG"}}},
	{"3312", "LIER", 28, regionSorOst, []postPlace{{"3400", "LIER"}}},
	{"3901", "HORTEN", 28, regionSorOst, []postPlace{{"3181", "HORTEN"}}},
	{"1124", "SOLA", 28, regionVest, []postPlace{{"4050", "SOLA"}}},
	{"4624", "BJØRNAFJORDEN", 26, regionVest, []postPlace{{"5200", "OS"}}},
	{"1833", "RANA", 26, regionNord, []postPlace{{"8610", "MO I RANA"}}},
	{"5035", "STJØRDAL", 25, regionMidt, []postPlace{{"7500", "STJØRDAL"}}},
	{"5503", "HARSTAD", 25, regionNord, []postPlace{{"9405", "HARSTAD"}}},
	{"4202", "GRIMSTAD", 24, regionSorOst, []postPlace{{"4876", "GRIMSTAD"}}},
	{"1505", "KRISTIANSUND", 24, regionMidt, []postPlace{{"6509", "KRISTIANSUND N"}}},
	{"5006", "STEINKJER", 24, regionMidt, []postPlace{{"7713", "STEINKJER"}}},
	{"3420", "ELVERUM", 21, regionSorOst, []postPlace{{"2406", "ELVERUM"}}},
	{"5601", "ALTA", 21, regionNord, []postPlace{{"9510", "ALTA"}}},
	{"1806", "NARVIK", 21, regionNord, []postPlace{{"8514", "NARVIK"}}},
	{"3212", "NESODDEN", 20, regionSorOst, []postPlace{{"1450", "NESODDTANGEN"}}},
	{"5037", "LEVANGER", 20, regionMidt, []postPlace{{"7600", "LEVANGER"}}},
	{"4614", "STORD", 19, regionVest, []postPlace{{"5411", "STORD"}}},
	{"4647", "SUNNFJORD", 22, regionVest, []postPlace{{"6800", "FØRDE"}}},
	{"5603", "HAMMERFEST", 11, regionNord, []postPlace{{"9600", "HAMMERFEST"}}},
	{"5605", "SØR-VARANGER", 10, regionNord, []postPlace{{"9900", "KIRKENES"}}},
	{"1865", "VÅGAN", 10, regionNord, []postPlace{{"8300", "SVOLVÆR"}}},
	{"1813", "BRØNNØY", 8, regionNord, []postPlace{{"8900", "BRØNNØYSUND"}}},
	{"5607", "VADSØ", 6, regionNord, []postPlace{{"9800", "VADSØ"}}},
	{"4616", "TYSNES", 3, regionVest, []postPlace{{"5680", "TYSNES"}}},
	{"5610", "KARASJOK", 3, regionNord, []postPlace{{"9730", "KARASJOK"}}},
	{"3216", "VESTBY", 19, regionSorOst, []postPlace{{"1540", "VESTBY"}}},
	{"3218", "ÅS", 21, regionSorOst, []postPlace{{"1430", "ÅS"}}},
}

// muniIndex returns the index of the municipality with code c, or -1.
func muniIndex(c string) int {
	for i := range municipalities {
		if municipalities[i].code == c {
			return i
		}
	}
	return -1
}

var streetNames = []string{
	"Storgata", "Kirkegata", "Skolegata", "Parkveien", "Strandgata", "Jernbanegata", "Kongens gate",
	"Dronningens gate", "Industriveien", "Sjøgata", "Torggata", "Bakkeveien", "Fjellveien", "Solbakken",
	"Granveien", "Bjørkeveien", "Furuveien", "Eikeveien", "Lønneveien", "Rognveien", "Gamle Kongevei",
	"Nedre Storgate", "Øvre Slottsgate", "Kirkeveien", "Ringveien", "Elvegata", "Havnegata", "Markveien",
	"Løkkeveien", "Åsveien", "Haugeveien", "Sandveien", "Steinveien", "Tunveien", "Gartnerveien",
	"Skogveien", "Blåbærstien", "Tyttebærveien", "Multeveien", "Fiolveien", "Kløverveien", "Sørlandsveien",
	"Østre gate", "Vestre gate", "Nordre gate", "Søndre gate", "Solhøgda", "Bjørnstjerne Bjørnsons gate",
	"Henrik Ibsens gate", "Prestegårdsveien", "Møllevegen", "Fjordvegen", "Kyrkjevegen", "Skulevegen",
	"Nyveien", "Brugata", "Holmen", "Lia", "Tårnveien", "Ekornveien", "Rådhusgata", "Sykehusveien",
}

var givenMale = []string{
	"Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Hans", "Geir", "Thomas",
	"Tor", "Morten", "Terje", "Odd", "Erik", "Martin", "Andreas", "John", "Anders", "Rune", "Trond",
	"Harald", "Jon", "Olav", "Magnus", "Jonas", "Kristian", "Henrik", "Espen", "Håkon", "Øyvind",
	"Sindre", "Emil", "Mathias", "Sander", "Jakob", "Filip", "Aksel", "Noah", "Oskar", "Lukas", "Isak",
	"Elias", "Tobias", "Kasper", "Sigurd", "Ståle", "Gaute", "Jørgen", "Pål", "Åsmund", "Eirik", "Ivar",
	"Sverre", "Frode", "Vegard", "Petter", "Nils",
}

var givenFemale = []string{
	"Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg", "Hilde", "Anna",
	"Solveig", "Marianne", "Randi", "Ida", "Nina", "Maria", "Elisabeth", "Kristin", "Ellen", "Tone",
	"Silje", "Ingeborg", "Camilla", "Hanne", "Ragnhild", "Gunn", "Åse", "Grete", "Sigrid", "Emma", "Nora",
	"Sofie", "Olivia", "Ella", "Frida", "Sara", "Maja", "Thea", "Ingvild", "Tiril", "Mari", "Guro",
	"Synnøve", "Sølvi", "Åshild", "Kjersti", "Vilde", "Julie", "Hedda", "Live", "Tuva", "Ylva", "Oda",
	"Marte", "Karoline", "Helene", "Aud", "Gro",
}

var familyNames = []string{
	"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
	"Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen",
	"Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen",
	"Gundersen", "Iversen", "Strand", "Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen",
	"Bakken", "Kristoffersen", "Mathisen", "Lie", "Amundsen", "Nguyen", "Rasmussen", "Solheim", "Lunde",
	"Berge", "Moe", "Kristensen", "Bakke", "Nygård", "Fredriksen", "Holm", "Lien", "Sæther", "Ødegård",
	"Bråthen", "Løken", "Aasen", "Sæbø", "Østby", "Bjørnstad", "Haug", "Vik", "Myhre", "Tangen", "Ahmed",
	"Ali", "Khan", "Hussain", "Brekke", "Fjeld", "Nordhus", "Grønli", "Ødegaard", "Åsheim",
}

// foreignNames holds given and family names for D-number persons and for HPR
// personnel without a Norwegian number, with the country (ISO alpha-3) they
// are drawn with.
type foreignNameSet struct {
	country string
	male    []string
	female  []string
	family  []string
}

var foreignNames = []foreignNameSet{
	{"POL", []string{"Piotr", "Tomasz", "Marcin", "Krzysztof", "Paweł", "Michał"}, []string{"Agnieszka", "Katarzyna", "Magdalena", "Anna", "Joanna", "Małgorzata"}, []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski"}},
	{"LTU", []string{"Jonas", "Tomas", "Andrius", "Mantas", "Darius"}, []string{"Rasa", "Ieva", "Greta", "Lina", "Agnė"}, []string{"Kazlauskas", "Petrauskas", "Jankauskas", "Stankevičius", "Vasiliauskas"}},
	{"SWE", []string{"Erik", "Johan", "Lars", "Karl", "Oscar"}, []string{"Anna", "Maria", "Karin", "Linnéa", "Elin"}, []string{"Andersson", "Johansson", "Karlsson", "Svensson", "Nilsson"}},
	{"DNK", []string{"Mads", "Rasmus", "Søren", "Frederik"}, []string{"Mette", "Sofie", "Camilla", "Louise"}, []string{"Nielsen", "Jensen", "Christensen", "Poulsen"}},
	{"FIN", []string{"Mikko", "Juha", "Antti", "Jukka"}, []string{"Aino", "Leena", "Tiina", "Satu"}, []string{"Virtanen", "Korhonen", "Mäkinen", "Nieminen"}},
	{"DEU", []string{"Lukas", "Jonas", "Stefan", "Matthias"}, []string{"Julia", "Katrin", "Sabine", "Lena"}, []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber"}},
	{"ESP", []string{"Javier", "Carlos", "Alejandro", "Pablo"}, []string{"Lucía", "María", "Carmen", "Laura"}, []string{"García", "Fernández", "González", "Rodríguez", "López"}},
	{"ROU", []string{"Andrei", "Alexandru", "Ionuț", "Mihai"}, []string{"Elena", "Ioana", "Andreea", "Maria"}, []string{"Popescu", "Ionescu", "Popa", "Dumitru"}},
	{"UKR", []string{"Oleksandr", "Andrii", "Dmytro", "Serhii"}, []string{"Olena", "Iryna", "Tetiana", "Nataliia"}, []string{"Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko"}},
	{"PRT", []string{"João", "Tiago", "Rui", "Pedro"}, []string{"Ana", "Beatriz", "Inês", "Marta"}, []string{"Silva", "Santos", "Ferreira", "Pereira"}},
	{"GBR", []string{"James", "Oliver", "Harry", "George"}, []string{"Emily", "Sophie", "Charlotte", "Amelia"}, []string{"Smith", "Jones", "Taylor", "Brown", "O'Neill"}},
	{"PHL", []string{"Jose", "Mark", "John Paul"}, []string{"Maria Cristina", "Jennifer", "Rowena"}, []string{"Santos", "Reyes", "Cruz", "Bautista"}},
}

// foreignCities gives a town for foreign addresses, by the country of
// foreignNames (same order).
var foreignCities = []string{"WARSZAWA", "VILNIUS", "STOCKHOLM", "KØBENHAVN", "HELSINKI", "BERLIN", "MADRID",
	"BUCUREȘTI", "KYIV", "LISBOA", "LONDON", "MANILA"}

// organisasjonsform codes (Brreg /api/organisasjonsformer).
type orgForm struct {
	code, text string
	weight     int // per mille of generic enheter
	sektor     int // index into sektorer
	foretak    bool
}

var orgForms = []orgForm{
	{"ENK", "Enkeltpersonforetak", 335, sektorPersonlig, false},
	{"AS", "Aksjeselskap", 335, sektorPrivatAS, true},
	{"FLI", "Forening/lag/innretning", 65, sektorIdeell, false},
	{"ESEK", "Eierseksjonssameie", 45, sektorHusholdning, false},
	{"SAM", "Tingsrettslig sameie", 20, sektorHusholdning, false},
	{"BRL", "Borettslag", 20, sektorHusholdning, true},
	{"NUF", "Norskregistrert utenlandsk foretak", 28, sektorUtland, true},
	{"ANS", "Ansvarlig selskap med solidarisk ansvar", 20, sektorPrivatAS, true},
	{"DA", "Ansvarlig selskap med delt ansvar", 16, sektorPrivatAS, true},
	{"ORGL", "Organisasjonsledd", 12, sektorStat, false},
	{"SA", "Samvirkeforetak", 8, sektorPrivatAS, true},
	{"STI", "Stiftelse", 7, sektorIdeell, false},
	{"KS", "Kommandittselskap", 3, sektorPrivatAS, true},
	{"ASA", "Allmennaksjeselskap", 1, sektorPrivatAS, true},
	{"IKS", "Interkommunalt selskap", 1, sektorKommune, true},
	{"KF", "Kommunalt foretak", 1, sektorKommune, true},
	{"BA", "Selskap med begrenset ansvar", 1, sektorPrivatAS, true},
	{"PK", "Pensjonskasse", 1, sektorFinans, false},
}

var (
	formSTAT = orgForm{"STAT", "Staten", 0, sektorStat, false}
	formKOMM = orgForm{"KOMM", "Kommune", 0, sektorKommune, false}
	formSAER = orgForm{"SÆR", "Annet foretak iflg. særskilt lov", 0, sektorStat, true}
	formBEDR = orgForm{"BEDR", "Underenhet til næringsdrivende og offentlig forvaltning", 0, 0, false}
	formAAFY = orgForm{"AAFY", "Underenhet til ikke-næringsdrivende", 0, 0, false}
)

// healthForms is the organisasjonsform mix of health enheter.
var healthForms = []orgForm{
	{"AS", "Aksjeselskap", 560, sektorPrivatAS, true},
	{"ENK", "Enkeltpersonforetak", 360, sektorPersonlig, false},
	{"ANS", "Ansvarlig selskap med solidarisk ansvar", 40, sektorPrivatAS, true},
	{"DA", "Ansvarlig selskap med delt ansvar", 25, sektorPrivatAS, true},
	{"STI", "Stiftelse", 15, sektorIdeell, false},
}

const (
	sektorPersonlig = iota
	sektorPrivatAS
	sektorIdeell
	sektorHusholdning
	sektorUtland
	sektorStat
	sektorKommune
	sektorFinans
)

// sektorer: institusjonellSektorkode. 6100, 8200, 7000, 4900 and 1120 are
// seen in real records; the others are the 2012 standard's codes as commonly
// published.
var sektorer = [...]struct{ code, text string }{
	sektorPersonlig:   {"8200", "Personlig næringsdrivende"},
	sektorPrivatAS:    {"2100", "Private aksjeselskaper mv."},
	sektorIdeell:      {"7000", "Ideelle organisasjoner"},
	sektorHusholdning: {"8500", "Private konsumentorienterte produsenter"},
	sektorUtland:      {"9000", "Utlandet"},
	sektorStat:        {"6100", "Statsforvaltningen"},
	sektorKommune:     {"6500", "Kommuneforvaltningen"},
	sektorFinans:      {"4900", "Øvrige finansielle foretak unntatt forsikring"},
}

type naering struct {
	code, text string
	weight     int
}

// naeringerGenerell: SN2007 codes for non-health enheter, with a weight.
var naeringerGenerell = []naering{
	{"68.209", "Utleie av egen eller leid fast eiendom ellers", 90},
	{"70.220", "Bedriftsrådgivning og annen administrativ rådgiving", 70},
	{"64.308", "Investeringsselskaper og lignende lukket for allmennheten", 60},
	{"41.200", "Oppføring av bygninger", 55},
	{"62.010", "Programmeringstjenester", 35},
	{"62.020", "Konsulentvirksomhet tilknyttet informasjonsteknologi", 30},
	{"43.210", "Elektrisk installasjonsarbeid", 25},
	{"43.220", "VVS-arbeid", 20},
	{"56.101", "Drift av restauranter og kafeer", 30},
	{"47.110", "Butikkhandel med bredt vareutvalg med hovedvekt på nærings- og nytelsesmidler", 15},
	{"49.410", "Godstransport på vei", 25},
	{"45.200", "Vedlikehold og reparasjon av motorvogner, unntatt motorsykler", 15},
	{"69.201", "Revisjon", 8},
	{"69.202", "Regnskap og bokføring", 20},
	{"69.100", "Juridisk tjenesteyting", 12},
	{"71.112", "Arkitekttjenester vedrørende byggverk", 12},
	{"81.210", "Rengjøring av bygninger", 20},
	{"96.020", "Frisering og annen skjønnhetspleie", 25},
	{"42.110", "Bygging av veier og motorveier", 6},
	{"52.292", "Skipsmegling", 3},
	{"06.100", "Utvinning av råolje", 1},
	{"01.410", "Melkeproduksjon på storfe", 20},
	{"02.100", "Skogskjøtsel og andre skogbruksaktiviteter", 15},
	{"03.111", "Hav- og kystfiske", 12},
	{"90.012", "Selvstendig kunstnerisk virksomhet innen visuell kunst", 15},
	{"85.421", "Universiteter", 1},
	{"88.911", "Barnehager", 10},
	{"87.102", "Somatiske sykehjem", 3},
	{"68.100", "Kjøp og salg av egen fast eiendom", 30},
	{"70.100", "Hovedkontortjenester", 15},
}

var naeringerFLI = []naering{
	{"94.200", "Arbeidstakerorganisasjoner", 10},
	{"94.991", "Aktiviteter i andre interesseorganisasjoner ikke nevnt annet sted", 50},
	{"93.120", "Idrettslag og -klubber", 35},
	{"94.910", "Religiøse organisasjoner", 8},
}

var naeringBolig = naering{"68.209", "Utleie av egen eller leid fast eiendom ellers", 1}
var naeringOffentlig = naering{"84.110", "Generell offentlig administrasjon", 1}
var naeringSykehus = naering{"86.101", "Alminnelige somatiske sykehus", 1}
var naeringAllmennlege = naering{"86.211", "Allmenn legetjeneste", 1}

// healthKinds are the SN2007 86.xxx codes of health enheter (texts from the
// SN2007 list as published with the 1303 code system), with the professions
// (9060) working there and the words used in their names.
type healthKind struct {
	naering
	professions []string
	nameWord    string
}

var healthKinds = []healthKind{
	{naering{"86.211", "Allmenn legetjeneste", 100}, []string{"LE", "HE", "SP"}, "LEGESENTER"},
	{naering{"86.221", "Spesialisert legetjeneste, unntatt psykiatrisk legetjeneste", 160}, []string{"LE"}, "SPESIALISTPRAKSIS"},
	{naering{"86.222", "Legetjenester innen psykisk helsevern", 30}, []string{"LE", "PS"}, "PSYKIATRI"},
	{naering{"86.230", "Tannhelsetjenester", 170}, []string{"TL", "TP", "TH"}, "TANNKLINIKK"},
	{naering{"86.901", "Hjemmesykepleie", 70}, []string{"SP", "HF"}, "HJEMMESYKEPLEIE"},
	{naering{"86.902", "Fysioterapitjeneste", 180}, []string{"FT"}, "FYSIOTERAPI"},
	{naering{"86.905", "Klinisk psykologtjeneste", 80}, []string{"PS"}, "PSYKOLOGTJENESTER"},
	{naering{"86.906", "Medisinske laboratorietjenester", 15}, []string{"BI", "LE"}, "LABORATORIUM"},
	{naering{"86.907", "Ambulansetjenester", 15}, []string{"AA", "PM"}, "AMBULANSE"},
	{naering{"86.903", "Helsestasjons- og skolehelsetjeneste", 10}, []string{"SP", "JO"}, "HELSESTASJON"},
	{naering{"86.909", "Andre helsetjenester", 100}, []string{"KI", "OP", "FO", "NP", "ET", "KE"}, "HELSE"},
	{naering{"86.102", "Somatiske spesialsykehus", 5}, []string{"LE", "SP", "RA", "BI"}, "KLINIKK"},
	{naering{"86.107", "Rehabiliterings- og opptreningsinstitusjoner", 10}, []string{"FT", "SP", "ET"}, "REHABILITERING"},
	{naering{"86.212", "Somatiske poliklinikker", 5}, []string{"LE", "SP"}, "POLIKLINIKK"},
}

var companyWords1 = []string{"NORD", "SØR", "VEST", "ØST", "FJORD", "BJØRK", "HAVBRIS", "FJELL", "ELVE",
	"MIDT", "SOLSTRAND", "LYNG", "BERG", "ASK", "FURU", "STRAND", "HAVN", "NORDLYS", "TINDE", "VIK",
	"KYST", "ØYA", "DAL", "SKOG", "STEIN", "GRAN", "ÅS", "LIA", "MOEN", "HOLMEN"}

var companyWords2 = []string{"EIENDOM", "BYGG", "TRANSPORT", "CONSULTING", "INVEST", "HOLDING", "SERVICE",
	"DESIGN", "REGNSKAP", "MASKIN", "ELEKTRO", "RØR", "TEKNIKK", "DATA", "HANDEL", "MEDIA", "UTVIKLING",
	"PROSJEKT", "ENTREPRENØR", "MALING", "BIL", "FISK", "GÅRD", "SKOG", "KAFÉ", "FRISØR", "RENHOLD"}

var fliWords = []string{"IDRETTSLAG", "VELFORENING", "SKOLEKORPS", "HISTORIELAG", "JEGER- OG FISKERFORENING",
	"SANITETSFORENING", "MENIGHET", "UNGDOMSLAG", "SKILAG", "FOTBALLKLUBB", "HUSFLIDSLAG", "PENSJONISTFORENING"}

var stateBodies = []string{"HELSE- OG OMSORGSDEPARTEMENTET", "NÆRINGS- OG FISKERIDEPARTEMENTET",
	"KUNNSKAPSDEPARTEMENTET", "FINANSDEPARTEMENTET", "JUSTIS- OG BEREDSKAPSDEPARTEMENTET",
	"SAMFERDSELSDEPARTEMENTET", "KLIMA- OG MILJØDEPARTEMENTET", "ARBEIDS- OG INKLUDERINGSDEPARTEMENTET",
	"KULTUR- OG LIKESTILLINGSDEPARTEMENTET", "FORSVARSDEPARTEMENTET"}

var stateAgencyWords = []string{"DIREKTORATET FOR", "TILSYNET FOR", "SENTERET FOR", "KONTORET FOR", "ETATEN FOR"}
var stateAgencyTopics = []string{"E-HELSE", "SAMFUNNSSIKKERHET", "FORVALTNING", "BYGGKVALITET", "MILJØ",
	"UTDANNING", "KULTURMINNER", "STRÅLEVERN", "LEGEMIDLER", "ARBEIDSMILJØ", "FISKERI", "VEGVESEN"}
var municipalAgencies = []string{"HELSEETATEN", "BYDEL SENTRUM", "PLAN- OG BYGNINGSETATEN", "SYKEHJEMSETATEN",
	"VANN- OG AVLØPSETATEN", "LEGEVAKTEN", "BARNEHAGEETATEN", "KEMNERKONTORET"}

// Regional health authorities and health trusts (RESH roots and their
// children), with the municipality of their head office.
var rhfs = []struct{ name, muni string }{
	{"HELSE SØR-ØST RHF", "3403"},
	{"HELSE VEST RHF", "1103"},
	{"HELSE MIDT-NORGE RHF", "5035"},
	{"HELSE NORD RHF", "1804"},
}

var hfs = []struct {
	name string
	rhf  int
	muni string
}{
	{"OSLO UNIVERSITETSSYKEHUS HF", 0, "0301"},
	{"AKERSHUS UNIVERSITETSSYKEHUS HF", 0, "3205"},
	{"SYKEHUSET INNLANDET HF", 0, "3403"},
	{"SYKEHUSET ØSTFOLD HF", 0, "3105"},
	{"VESTRE VIKEN HF", 0, "3301"},
	{"SYKEHUSET I VESTFOLD HF", 0, "3905"},
	{"SYKEHUSET TELEMARK HF", 0, "4003"},
	{"SØRLANDET SYKEHUS HF", 0, "4203"},
	{"SUNNAAS SYKEHUS HF", 0, "3212"},
	{"HELSE BERGEN HF", 1, "4601"},
	{"HELSE STAVANGER HF", 1, "1103"},
	{"HELSE FONNA HF", 1, "1106"},
	{"HELSE FØRDE HF", 1, "4647"},
	{"ST. OLAVS HOSPITAL HF", 2, "5001"},
	{"HELSE MØRE OG ROMSDAL HF", 2, "1508"},
	{"HELSE NORD-TRØNDELAG HF", 2, "5037"},
	{"UNIVERSITETSSYKEHUSET NORD-NORGE HF", 3, "5501"},
	{"NORDLANDSSYKEHUSET HF", 3, "1804"},
	{"HELGELANDSSYKEHUSET HF", 3, "1833"},
	{"FINNMARKSSYKEHUSET HF", 3, "5603"},
}

var reshDepartments = []string{"Medisinsk avdeling", "Kirurgisk avdeling", "Barne- og ungdomsklinikken",
	"Kvinneklinikken", "Ortopedisk avdeling", "Nevrologisk avdeling", "Psykisk helsevern", "Akuttmottak",
	"Radiologisk avdeling", "Laboratoriemedisin", "Anestesiavdeling", "Hjerteavdeling", "Kreftavdeling",
	"Øre-nese-hals-avdeling", "Øyeavdeling", "Hudavdeling", "Lungeavdeling", "Revmatologisk avdeling",
	"Habiliteringstjenesten", "Tverrfaglig spesialisert rusbehandling", "Fysikalsk medisin og rehabilitering",
	"Geriatrisk avdeling", "Nyremedisinsk avdeling", "Infeksjonsavdeling"}

var reshSections = []string{"sengepost", "poliklinikk", "dagbehandling", "intensiv", "overvåkning",
	"forskning", "ambulant team", "seksjon for utredning"}

// 8624 organisatorisk betegnelse and 8628 organisatorisk nivå (kodeverk/).
var (
	desSykehus     = coded{8624, "01", "Sykehus"}
	desKlinikk     = coded{8624, "02", "Klinikk"}
	desAvdeling    = coded{8624, "05", "Avdeling"}
	desSeksjon     = coded{8624, "06", "Seksjon"}
	desPost        = coded{8624, "08", "Post"}
	desPoliklinikk = coded{8624, "11", "Poliklinikk"}
	desDPS         = coded{8624, "31", "DPS"}
	desAnnet       = coded{8624, "88", "Annet"}
	levRHF         = coded{8628, "1", "RHF"}
	levHF          = coded{8628, "2", "HF"}
	levInstitusjon = coded{8628, "3", "Institusjon"}
	levAnnet       = coded{8628, "9", "Annet"}
)

// coded is a Volven coded value {"oid","code","text"}.
type coded struct {
	oid        int
	code, text string
}

// Professions (9060) with their share of HPR persons in per mille. The mix
// follows the published HPR population in broad strokes.
type profession struct {
	coded
	weight int
}

var professions = []profession{
	{coded{9060, "SP", "Sykepleier"}, 260},
	{coded{9060, "HF", "Helsefagarbeider"}, 200},
	{coded{9060, "LE", "Lege"}, 90},
	{coded{9060, "HP", "Hjelpepleier"}, 50},
	{coded{9060, "FT", "Fysioterapeut"}, 45},
	{coded{9060, "VP", "Vernepleier"}, 40},
	{coded{9060, "PS", "Psykolog"}, 30},
	{coded{9060, "OA", "Omsorgsarbeider"}, 25},
	{coded{9060, "TL", "Tannlege"}, 20},
	{coded{9060, "BI", "Bioingeniør"}, 20},
	{coded{9060, "ET", "Ergoterapeut"}, 20},
	{coded{9060, "HE", "Helsesekretær"}, 20},
	{coded{9060, "AA", "Ambulansearbeider"}, 18},
	{coded{9060, "RA", "Radiograf"}, 14},
	{coded{9060, "JO", "Jordmor"}, 10},
	{coded{9060, "FA1", "Provisorfarmasøyt"}, 10},
	{coded{9060, "FA2", "Reseptarfarmasøyt"}, 6},
	{coded{9060, "AT", "Apotektekniker"}, 10},
	{coded{9060, "TH", "Tannhelsesekretær"}, 10},
	{coded{9060, "VE", "Veterinær"}, 8},
	{coded{9060, "TP", "Tannpleier"}, 5},
	{coded{9060, "OP", "Optiker"}, 5},
	{coded{9060, "PM", "Paramedisiner"}, 5},
	{coded{9060, "KI", "Kiropraktor"}, 3},
	{coded{9060, "FO", "Fotterapeut"}, 3},
	{coded{9060, "NP", "Naprapat"}, 3},
	{coded{9060, "TT", "Tanntekniker"}, 2},
	{coded{9060, "AU", "Audiograf"}, 1},
	{coded{9060, "KE", "Klinisk ernæringsfysiolog"}, 1},
	{coded{9060, "OI", "Ortopediingeniør"}, 1},
	{coded{9060, "OS", "Osteopat"}, 1},
	{coded{9060, "OR", "Ortoptist"}, 1},
	{coded{9060, "PE", "Perfusjonist"}, 1},
	{coded{9060, "FB", "Fiskehelsebiolog"}, 1},
}

// 7704 autorisasjon (kodeverk/7704_autorisasjon.csv).
var (
	authAutorisasjon  = coded{7704, "1", "Autorisasjon"}
	authMedVilkaar    = coded{7704, "17", "Autorisasjon med vilkår"}
	authLisens        = coded{7704, "4", "Lisens"}
	authStudentlisens = coded{7704, "3", "Studentlisens"}
	authTurnuslisens  = coded{7704, "2", "Turnuslisens"}
	authMidlertidig   = coded{7704, "14", "Midlertidig tjenesteyting"}
	authLIS1          = coded{7704, "18", "LIS1-Lisens"}
)

// 7426 spesialitet: only the codes seen in public examples (1, 40, 152); the
// full list is not available as a data file (gap).
var (
	specAllmenn    = coded{7426, "1", "Allmennmedisin"}
	specPsykiatri  = coded{7426, "40", "Psykiatri"}
	specOrtopedisk = coded{7426, "152", "Ortopedisk kirurgi"}
)

// 7701 rekvisisjonsrett and 7702 tilleggskompetanse: only observed codes.
var (
	reqFull       = coded{7701, "1", "Full rekvisisjonsrett"}
	addTrygderefu = coded{7702, "3", "Allmenlege med trygderefusjon"}
)

var (
	genderMann   = coded{3101, "1", "Mann"}
	genderKvinne = coded{3101, "2", "Kvinne"}
)

// 8666 service types: only the codes observed in real AR records (gap: the
// full list is not available).
var (
	svcAllmennlege = coded{8666, "05", "Allmennlege"}
	svcBHT         = coded{8666, "01", "Bedriftshelsetjeneste"}
	svcSaksbeh     = coded{8666, "8", "Saksbehandling pasientopplysninger"}
)

// 9040 virksomhetstype: 103 and 113 texts as observed; 101 and 102 texts are
// our wording (gap).
var (
	btHF        = coded{9040, "101", "Helseforetak og private sykehus"}
	btKommune   = coded{9040, "102", "Kommunal helsetjeneste"}
	btPrivat    = coded{9040, "103", "Privatpraktiserende autorisert helsepersonell"}
	btOffentlig = coded{9040, "113", "Offentlig forvaltning"}
)

// 9044 electronic address types and 3401 physical address types.
var (
	eaEDI     = coded{9044, "E_EDI", "EDI (Standardisert elektronisk melding)"}
	eaSBAsync = coded{9044, "E_SB_ASYNC", "Asynkron AMQP kø"}
	eaTLF     = coded{9044, "E_TLF", "Telefonnummer"}
	eaEPO     = coded{9044, "E_EPO", "Epost-adresse"}
	paRES     = coded{3401, "RES", "Besøksadresse"}
	paPST     = coded{3401, "PST", "Postadresse"}
)

// Fastlegeregisteret: 7750 relationship as in docs/formats.md; 7751 status:
// FAAA is the one confirmed code, FALU is our placeholder for a closed list
// (gap: the 7751 list is not available).
var (
	relLF      = coded{7750, "LF", "Fastlege"}
	relLV      = coded{7750, "LV", "Vikar"}
	statusOpen = coded{7751, "FAAA", "Åpen for nye pasienter"}
	statusLukk = coded{7751, "FALU", "Lukket for nye pasienter"}
)
